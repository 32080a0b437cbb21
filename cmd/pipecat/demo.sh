# pipecat: a counted pass-through, a coprocess, and who holds a pipe.
set -e
echo "hello through pipecat" | pipecat -v
echo "shout this" | pipecat -- tr a-z A-Z
pipecat -- sh -c 'exit 7' </dev/null || echo "the coprocess exited $?"
yes | pipecat --stat | grep -E '^(type|writers)'
