package procfs

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Socket is one line of /proc/net/{tcp,tcp6,udp,udp6,unix}.
type Socket struct {
	Proto  string // tcp, tcp6, udp, udp6, unix, unixgram, unixpacket
	State  string // LISTEN, ESTABLISHED, ...; UNCONN for an unconnected datagram socket
	Local  string // "127.0.0.1:22", "[::1]:22", a Unix path or @name
	Remote string // "" when there is none
	UID    int    // owner (-1 for Unix sockets, which /proc/net/unix does not say)
	Inode  uint64
}

var tcpStates = map[string]string{
	"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
	"05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
	"09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING", "0C": "NEW_SYN_RECV",
}

// Sockets reads the socket tables of this network namespace. A table that
// is absent (no IPv6) is skipped.
func Sockets() ([]Socket, error) {
	var out []Socket
	for _, p := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(Root + "/net/" + p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		s := bufio.NewScanner(f)
		s.Scan() // header
		for s.Scan() {
			if so, ok := ParseInet(p, s.Text()); ok {
				out = append(out, so)
			}
		}
		f.Close()
	}
	f, err := os.Open(Root + "/net/unix")
	if err != nil {
		return out, nil
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	for s.Scan() {
		if so, ok := ParseUnix(s.Text()); ok {
			out = append(out, so)
		}
	}
	return out, nil
}

// ParseInet parses one line of /proc/net/tcp (or tcp6, udp, udp6):
//
//	sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
func ParseInet(proto, line string) (Socket, bool) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return Socket{}, false
	}
	local, ok1 := hexAddr(f[1])
	remote, ok2 := hexAddr(f[2])
	uid, err1 := strconv.Atoi(f[7])
	ino, err2 := strconv.ParseUint(f[9], 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return Socket{}, false
	}
	st := tcpStates[strings.ToUpper(f[3])]
	if st == "" {
		st = f[3]
	}
	if strings.HasPrefix(proto, "udp") {
		st = map[bool]string{true: "ESTABLISHED", false: "UNCONN"}[f[3] == "01"]
	}
	if strings.HasSuffix(remote, ":0") && (strings.HasPrefix(remote, "0.0.0.0:") || strings.HasPrefix(remote, "[::]:")) {
		remote = ""
	}
	return Socket{Proto: proto, State: st, Local: local, Remote: remote, UID: uid, Inode: ino}, true
}

// hexAddr decodes "0100007F:0016" (IPv4) or 32 hex digits and a port
// (IPv6): the address as the kernel's 32-bit words in host order (little
// endian here), the port big-endian.
func hexAddr(s string) (string, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", false
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 4 && len(b) != 16 {
		return "", false
	}
	for i := 0; i < len(b); i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(b[i:]))
	}
	ip, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)).String(), true
}

// ParseUnix parses one line of /proc/net/unix:
//
//	Num RefCount Protocol Flags Type St Inode [Path]
func ParseUnix(line string) (Socket, bool) {
	f := strings.Fields(line)
	if len(f) < 7 {
		return Socket{}, false
	}
	flags, err1 := strconv.ParseUint(f[3], 16, 32)
	typ, err2 := strconv.ParseUint(f[4], 16, 16)
	ino, err3 := strconv.ParseUint(f[6], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Socket{}, false
	}
	so := Socket{Proto: "unix", UID: -1, Inode: ino}
	switch typ {
	case 2:
		so.Proto = "unixgram"
	case 5:
		so.Proto = "unixpacket"
	}
	switch {
	case flags&0x10000 != 0: // __SO_ACCEPTCON
		so.State = "LISTEN"
	case f[5] == "03":
		so.State = "ESTABLISHED"
	default:
		so.State = "UNCONN"
	}
	if len(f) > 7 {
		// The path is the rest of the line (it may hold spaces).
		i := strings.Index(line, " "+f[6]+" ")
		if i >= 0 {
			so.Local = line[i+len(f[6])+2:]
		} else {
			so.Local = f[7]
		}
	}
	return so, true
}

// SocketOwners maps socket inodes to the processes holding them.
func SocketOwners() (map[uint64][]int, Scan) {
	owners := map[uint64][]int{}
	sc := FDs(func(link string) bool { return strings.HasPrefix(link, "socket:[") }, func(fd FD) {
		var ino uint64
		if _, err := fmt.Sscanf(fd.Link, "socket:[%d]", &ino); err != nil {
			return
		}
		pids := owners[ino]
		if len(pids) == 0 || pids[len(pids)-1] != fd.PID {
			owners[ino] = append(pids, fd.PID)
		}
	})
	return owners, sc
}
