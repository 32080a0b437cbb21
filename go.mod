module github.com/ipcats/ipcats

go 1.26.8

require (
	github.com/jessevdk/go-flags v1.6.1 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)
