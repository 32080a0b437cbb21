#compdef pipecat fifocat mqcat shmcat mmapcat sockcat
# Zsh completion for the ipcats tools: each tool completes its own options
# and live objects (with GO_FLAGS_COMPLETION set, go-flags prints the
# candidates for the words so far instead of running); paths otherwise.
local -a cands
cands=(${(f)"$(GO_FLAGS_COMPLETION=1 ${words[1]} ${words[2,CURRENT]} 2>/dev/null)"})
if (( ${#cands} )); then
	compadd -Q -- $cands
else
	_files
fi
