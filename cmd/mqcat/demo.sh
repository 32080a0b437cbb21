# mqcat: lines through a System V queue and a POSIX queue.
set -e
k=$((0x1d100000 + $$ % 65536)) n=/ipcats-demo-$$
trap 'mqcat --rm $k 2>/dev/null || :; mqcat --rm $n 2>/dev/null || :' EXIT
seq 5 | mqcat -w -T 2 $k
mqcat -r --peek -N 2 --json $k
mqcat -r --drain $k | paste -sd' '
echo "urgent" | mqcat -w -p 9 $n
echo "routine" | mqcat -w $n
mqcat -r --drain $n
mqcat --stat $n | head -4
