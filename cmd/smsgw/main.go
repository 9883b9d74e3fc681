// Command smsgw is an SMS gateway daemon for USB/serial GSM modems, and the
// command-line client that talks to it.
//
// Each subcommand lives in its own file and registers itself with register
// from an init function, so the dispatcher here never needs editing.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand of the smsgw binary.
type command struct {
	name    string
	summary string
	// run receives the arguments after the subcommand name and returns the
	// process exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("smsgw: duplicate subcommand " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "smsgw: a command is needed")
		fmt.Fprintln(stderr)
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		// "smsgw help modem probe" is "smsgw modem probe --help".
		if _, ok := commands[args[1]]; !ok {
			fmt.Fprintf(stderr, "smsgw help: unknown command %q\n\n", args[1])
			usage(stderr)
			return exitUsage
		}
		return run(append(append([]string{}, args[1:]...), "--help"), stdout, stderr)
	case "--version", "-version":
		return runVersion(nil, stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "smsgw: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: smsgw <command> [flags]")
	fmt.Fprintln(w, "       smsgw help <command>     (or smsgw <command> --help)")
	fmt.Fprintln(w, "       smsgw --version")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nexit codes (the same for every command):")
	for _, c := range exitCodes() {
		fmt.Fprintf(w, "  %-3d %s\n", c, exitMeaning[c])
	}
}

// commandNames returns the subcommands in order.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
