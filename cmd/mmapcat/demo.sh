# mmapcat: a file written and read through shared mappings, patched in place.
set -e
d=$(mktemp -d "${TMPDIR:-/tmp}/mmapcat-demo-$$.XXXXXX")
trap 'rm -rf "$d"' EXIT
echo "hello through a shared mapping" | mmapcat -w "$d/status"
mmapcat -r "$d/status"
printf 'HELLO' | mmapcat -w --in-place --no-clear -L 5 "$d/status"
mmapcat -r "$d/status"
mmapcat --stat "$d/status" | grep -E '^(size|mode|resident) '
mmapcat --rm "$d/status"
