package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"

	"smsgw/config"
	"smsgw/internal/daemon"
	"smsgw/internal/logging"
)

func init() {
	register(command{name: "serve", summary: "run the daemon (--simulate N: on N emulated modems)", run: runServeCmd})
}

var serveDoc = usageDoc{
	synopsis: []string{"smsgw serve [--config FILE] [--listen ADDR] [--simulate N]"},
	about: `Runs the daemon until SIGTERM or SIGINT (a second one aborts sends on the wire);
SIGUSR1 writes each modem's recent AT traffic next to the database.`,
	exits: []int{exitOK, exitRefused, exitUsage},
}

func runServeCmd(args []string, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	return serve(sigs, usr1, args, stdout, stderr)
}

// serve runs the daemon until the first signal on sigs (a graceful stop)
// and aborts work on the wire at the second. A signal on dump writes each
// modem's recent AT traffic to a file next to the database.
func serve(sigs, dump <-chan os.Signal, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve")
	cfgPath := fs.String("config", "", "configuration `FILE` (default "+config.DefaultConfigPath+" when it exists; check it with smsgw config check)")
	listen := fs.String("listen", "", "API `ADDR`ess, host:port or unix:/path, instead of [server] listen (default "+config.Default().Server.Listen+")")
	var simulate optInt
	fs.Var(&simulate, "simulate", "also run `N` emulated modems on a shared virtual network, to try smsgw without hardware (default: none, or [simulate] modems)")
	pos, code, done := parseFlags(fs, serveDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, serveDoc, "unexpected argument %q", pos[0])
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw serve:", err)
		fmt.Fprintln(stderr, "smsgw serve: smsgw config check FILE lists every problem")
		return exitRefused
	}
	if simulate.set {
		if err := cfg.SetSimulate(simulate.v); err != nil {
			return usageError(stderr, fs, serveDoc, "--simulate: %v", err)
		}
	}
	if *listen != "" {
		if err := cfg.SetListen(*listen); err != nil {
			return usageError(stderr, fs, serveDoc, "--listen: %v", err)
		}
	}
	if !cfg.Debug.Pprof {
		// Heap profiles can only be read through [debug] pprof; without it
		// the runtime's sampling of allocations and its table of
		// allocation sites (a few hundred kB) serve nobody.
		noHeapProfile.Do(func() { runtime.MemProfileRate = 0 })
	}
	if pct, ok := serveGCPercent(os.Getenv("GOGC")); ok {
		gcPercent.Do(func() { debug.SetGCPercent(pct) })
	}
	log, err := logging.New(daemon.LogOptions(cfg.Log), stderr)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw serve:", err)
		return exitRefused
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: log, Stdout: stdout, Version: version, Commit: commit})
	if err != nil {
		return 1 // logged by New
	}
	return d.Run(sigs, dump)
}

// noHeapProfile turns heap profiling off once per process (tests run
// several daemons side by side).
var noHeapProfile sync.Once

// gcPercent sets the daemon's garbage collection target once per process.
var gcPercent sync.Once

// serveGCPercent is the collection target the daemon sets, unless the
// GOGC environment variable (gogc) gives one. The heap it keeps is a few
// megabytes, so the runtime's default (collect when the heap has doubled)
// means a collection every few megabytes allocated: tens a second under
// load, each with its fixed cost. Collecting at three times the live heap
// instead raised the durable sends and batches make bench-daemon measures
// by a tenth to a fifth, for about 5 MB more at the peak; the idle trim
// (internal/daemon/idle.go) gives the heap back once the daemon is quiet,
// so its idle memory stays the same. 400 gained nothing more.
func serveGCPercent(gogc string) (int, bool) {
	if gogc != "" {
		return 0, false
	}
	return 200, true
}

func loadConfig(path string) (config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	if _, err := os.Stat(config.DefaultConfigPath); err == nil {
		return config.Load(config.DefaultConfigPath)
	}
	return config.Default(), nil
}
