package main

import (
	"fmt"
	"io"
	"runtime"
)

// Stamped at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = "unknown"
	date    = "unknown"
)

func init() {
	register(command{name: "version", summary: "print version, commit and build date", run: runVersion})
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "smsgw %s (commit %s, built %s, %s %s/%s)\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
