# fifocat: a line through a FIFO, then a log sink with two writers.
set -e
d=$(mktemp -d "${TMPDIR:-/tmp}/fifocat-demo-$$.XXXXXX")
trap 'rm -rf "$d"' EXIT
fifocat -r "$d/f" &
sleep 0.1
echo "hello through a FIFO" | fifocat -w "$d/f"
wait
fifocat -r -k -t 500ms "$d/log" > "$d/out" &
sleep 0.1
echo "first writer" | fifocat -w --lines "$d/log"
echo "second writer" | fifocat -w --lines "$d/log"
wait
cat "$d/out"
fifocat --stat "$d/f" | head -4
