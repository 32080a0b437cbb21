package procfs

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// SysVRow is one row of a /proc/sysvipc table: column name -> value.
type SysVRow map[string]string

// Int returns a numeric column (0 when absent or not a number).
func (r SysVRow) Int(col string) int64 {
	v, _ := strconv.ParseInt(r[col], 10, 64)
	return v
}

// Uint returns an unsigned numeric column.
func (r SysVRow) Uint(col string) uint64 {
	v, _ := strconv.ParseUint(r[col], 10, 64)
	return v
}

// Octal returns the "perms" column, which the kernel prints in octal.
func (r SysVRow) Octal(col string) uint32 {
	v, _ := strconv.ParseUint(r[col], 8, 32)
	return uint32(v)
}

// SysV reads /proc/sysvipc/TABLE ("shm", "msg", "sem"): every object of that
// kind in this IPC namespace, whoever owns it, as ipcs reads it.
func SysV(table string) ([]SysVRow, error) {
	f, err := os.Open(Root + "/sysvipc/" + table)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, sc.Err()
	}
	cols := strings.Fields(sc.Text())
	var rows []SysVRow
	for sc.Scan() {
		vals := strings.Fields(sc.Text())
		row := make(SysVRow, len(cols))
		for i, c := range cols {
			if i < len(vals) {
				row[c] = vals[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}
