package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Every subcommand describes itself with a usageDoc and parses its flags
// with parseFlags, so that they all behave alike: --help and -h print to
// stdout and exit 0, a usage error names what was wrong and then shows the
// usage on stderr (exit 2), and the same text is what the man page test
// compares packaging/smsgw.1 against.

// usageDoc is what a subcommand's --help shows besides its flags.
type usageDoc struct {
	// name is the command's name in errors when there is no flag set
	// (a command that only dispatches to subcommands).
	name string
	// synopsis lines, without the leading "usage: ".
	synopsis []string
	// about is free text shown after the synopsis (may be empty).
	about string
	// exits lists the exit codes the command can return; their meaning
	// comes from exitMeaning, one wording for every command.
	exits []int
}

// exitMeaning is the one description of each exit code, shared by every
// subcommand's help, `smsgw --help` and the man page's EXIT STATUS.
var exitMeaning = map[int]string{
	exitOK:          "success (send: queued; with --wait: sent or delivered)",
	exitRefused:     "refused or failed: the daemon answered 4xx, the configuration is invalid, or the operation failed; nothing queued",
	exitUsage:       "usage error (bad flag or argument); nothing done",
	exitFailed:      "the message failed, expired or was cancelled (send --wait); not sent",
	exitTimeout:     "timed out (send --wait --timeout); still queued, it may still be sent",
	exitUnknown:     "queued but its state is unknown (uncertain, or the daemon was lost): do not send again",
	exitUnreachable: "cannot reach the daemon, or it answered 5xx; nothing queued, try again later",
}

// exitCodes returns every documented exit code, in order.
func exitCodes() []int {
	codes := make([]int, 0, len(exitMeaning))
	for c := range exitMeaning {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// clientExits are the codes of the client commands that only read.
var clientExits = []int{exitOK, exitRefused, exitUsage, exitUnreachable}

// newFlagSet returns a flag set that prints nothing itself: parseFlags
// decides where help and errors go.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// writeUsage prints the synopsis, the text, the flags and the exit codes.
func writeUsage(w io.Writer, fs *flag.FlagSet, doc usageDoc) {
	for i, s := range doc.synopsis {
		if i == 0 {
			fmt.Fprintf(w, "usage: %s\n", s)
		} else {
			fmt.Fprintf(w, "       %s\n", s)
		}
	}
	if doc.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(doc.about, "\n"))
	}
	if fs != nil {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nflags:")
			printFlags(w, fs)
		}
	}
	if len(doc.exits) > 0 {
		fmt.Fprintln(w, "\nexit codes:")
		for _, c := range doc.exits {
			fmt.Fprintf(w, "  %-3d %s\n", c, exitMeaning[c])
		}
	}
}

// parseFlags parses args, letting flags and positional arguments mix
// ("status 42 --json"), and returns the positional arguments. When it
// returns done, the command must exit with code: 0 after --help (usage on
// stdout), exitUsage after a bad flag (the error, then the usage, on
// stderr).
func parseFlags(fs *flag.FlagSet, doc usageDoc, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(stdout, fs, doc)
			return nil, exitOK, true
		}
		if err != nil {
			return nil, usageError(stderr, fs, doc, "%v", err), true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		// After "--" everything is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints what was wrong, then the usage, on stderr and returns
// exitUsage.
func usageError(stderr io.Writer, fs *flag.FlagSet, doc usageDoc, format string, a ...any) int {
	name := "smsgw"
	if fs != nil {
		name += " " + fs.Name()
	} else if doc.name != "" {
		name += " " + doc.name
	}
	fmt.Fprintf(stderr, "%s: %s\n\n", name, fmt.Sprintf(format, a...))
	writeUsage(stderr, fs, doc)
	return exitUsage
}

// wantsHelp reports whether args ask a command with subcommands for help.
func wantsHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help")
}

// optInt is an int flag that may be left unset; its help shows no
// "(default -1)" but whatever the usage string says.
type optInt struct {
	v   int
	set bool
}

func (o *optInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return fmt.Sprint(o.v)
}

func (o *optInt) Set(s string) error {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != strings.TrimPrefix(s, "+") {
		return errors.New("want a whole number")
	}
	o.v, o.set = n, true
	return nil
}

// printFlags lists the flags as --name, the way the README and the man page
// write them (the flag package accepts one dash or two).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		switch f.DefValue {
		case "", "0", "false", "0s", "[]", "-1": // -1: unset, the usage says what then
		default:
			use += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "        %s\n", strings.ReplaceAll(use, "\n", "\n        "))
	})
}
