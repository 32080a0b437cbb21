# Fish completion for the ipcats tools: each tool completes its own options
# and live objects (with GO_FLAGS_COMPLETION set, go-flags prints the
# candidates for the words so far instead of running); fish adds paths.
function __ipcats_complete
    set -l words (commandline -opc) (commandline -ct)
    env GO_FLAGS_COMPLETION=1 $words 2>/dev/null
end
for tool in pipecat fifocat mqcat shmcat mmapcat sockcat
    complete -c $tool -a '(__ipcats_complete)'
end
