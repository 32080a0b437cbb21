# sockcat: a request whose reply comes after EOF, over a Unix socket, an
# abstract socket and TCP loopback.
set -e
dir=$(mktemp -d) port=$((20000 + $$ % 20000))
trap 'kill $srv 2>/dev/null || true; rm -rf "$dir"' EXIT
sockcat -lU "$dir/demo.sock" -e 'n=$(wc -c); echo "server read $n bytes, then replied"' & srv=$!
while [ ! -S "$dir/demo.sock" ]; do sleep 0.05; done
echo "hello through a Unix socket" | sockcat -U "$dir/demo.sock"
wait $srv
sockcat -lU @ipcats-demo-$$ -e 'tr a-z A-Z' & srv=$!
sleep 0.2
echo "hello through an abstract socket" | sockcat -U @ipcats-demo-$$
wait $srv
sockcat -l 127.0.0.1 $port > "$dir/got" & srv=$!
sleep 0.2
echo "hello through TCP" | sockcat -v 127.0.0.1 $port
wait $srv
cat "$dir/got"
