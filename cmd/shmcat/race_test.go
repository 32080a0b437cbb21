//go:build race

package main

// raceEnabled tells the scripts' [race] condition that this test binary,
// and so the shmcat it runs, has the race detector built in.
const raceEnabled = true
