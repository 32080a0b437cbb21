# shmcat: a line through a System V segment and a POSIX object.
set -e
k=$((0x1d000000 + $$ % 65536)) n=/ipcats-demo-$$
s=$((k + 1))
trap 'shmcat --rm $k 2>/dev/null || :; shmcat --rm $n 2>/dev/null || :; shmcat --rm $s 2>/dev/null || :' EXIT
echo "hello through System V shared memory" | shmcat -w $k
shmcat -r $k
echo "hello through POSIX shared memory" | shmcat -w $n
shmcat -r $n
shmcat --stat $n | head -4
# --stream: a FIFO named by a key, through a ring in the segment.
seq 100000 | shmcat -w --stream $s &
shmcat -r --stream --rm $s | tail -1
wait
