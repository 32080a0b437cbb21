# shmcat: a line through a System V segment and a POSIX object.
set -e
k=$((0x1d000000 + $$ % 65536)) n=/ipcats-demo-$$
trap 'shmcat --rm $k 2>/dev/null; shmcat --rm $n 2>/dev/null; true' EXIT
echo "hello through System V shared memory" | shmcat -w $k
shmcat -r $k
echo "hello through POSIX shared memory" | shmcat -w $n
shmcat -r $n
shmcat --stat $n | head -4
