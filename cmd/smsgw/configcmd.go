package main

import (
	"fmt"
	"io"
	"strings"

	"smsgw/config"
)

func init() {
	register(command{name: "config", summary: "check a configuration file: config check [FILE]", run: runConfig})
}

var (
	configCheckSynopsis = "smsgw config check [FILE]"
	configDoc           = usageDoc{name: "config", synopsis: []string{configCheckSynopsis}, about: "smsgw help config check shows what it does.", exits: []int{exitOK, exitRefused, exitUsage}}
	configCheckDoc      = usageDoc{
		synopsis: []string{configCheckSynopsis},
		about: `Reads and validates a configuration file (default ` + config.DefaultConfigPath + `) the way
smsgw serve would, without binding a port, opening a modem or creating a
database, and names every unknown key and bad value, one per line.`,
		exits: []int{exitOK, exitRefused, exitUsage},
	}
)

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, configDoc, "a subcommand is needed (check)")
	}
	if args[0] == "check" {
		return runConfigCheck(args[1:], stdout, stderr)
	}
	if wantsHelp(args) {
		writeUsage(stdout, nil, configDoc)
		return exitOK
	}
	return usageError(stderr, nil, configDoc, "unknown subcommand %q (want check)", args[0])
}

func runConfigCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("config check")
	pos, code, done := parseFlags(fs, configCheckDoc, args, stdout, stderr)
	if done {
		return code
	}
	path := config.DefaultConfigPath
	switch len(pos) {
	case 0:
	case 1:
		path = pos[0]
	default:
		return usageError(stderr, fs, configCheckDoc, "one FILE, not %d", len(pos))
	}
	_, err := config.Load(path)
	if err == nil {
		fmt.Fprintf(stdout, "%s: ok\n", path)
		return exitOK
	}
	problems := splitJoined(err)
	fmt.Fprintf(stderr, "%s: %d problem(s):\n", path, len(problems))
	for _, p := range problems {
		fmt.Fprintf(stderr, "  %s\n", strings.TrimPrefix(p, "config "+path+": "))
	}
	return exitRefused
}

// splitJoined unfolds errors.Join (at any depth) into one line per
// problem.
func splitJoined(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		for _, line := range strings.Split(e.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	walk(err)
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}
