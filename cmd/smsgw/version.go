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

var versionDoc = usageDoc{synopsis: []string{"smsgw version", "smsgw --version"}, about: "Prints the version, commit, build date, Go version and platform.", exits: []int{exitOK, exitUsage}}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version")
	pos, code, done := parseFlags(fs, versionDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, versionDoc, "unexpected argument %q", pos[0])
	}
	fmt.Fprintf(stdout, "smsgw %s (commit %s, built %s, %s %s/%s)\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
