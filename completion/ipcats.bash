# Bash completion for the ipcats tools. Each tool completes its own
# options: with GO_FLAGS_COMPLETION set, go-flags prints the candidates for
# the words so far instead of running.
_ipcats_complete() {
	local IFS=$'\n'
	COMPREPLY=($(GO_FLAGS_COMPLETION=1 "${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _ipcats_complete pipecat fifocat mqcat shmcat mmapcat sockcat
