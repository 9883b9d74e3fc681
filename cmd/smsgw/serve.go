package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"smsgw/config"
	"smsgw/internal/daemon"
	"smsgw/internal/logging"
)

func init() {
	register(command{name: "serve", summary: "run the daemon (--simulate N: on N emulated modems)", run: runServeCmd})
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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default "+config.DefaultConfigPath+" when it exists)")
	simulate := fs.Int("simulate", -1, "run on N emulated modems (a shared virtual network), besides any configured ones")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: smsgw serve [--config FILE] [--simulate N]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw serve:", err)
		return 2
	}
	if *simulate >= 0 {
		if err := cfg.SetSimulate(*simulate); err != nil {
			fmt.Fprintln(stderr, "smsgw serve: --simulate:", err)
			return 2
		}
	}
	log, err := logging.New(daemon.LogOptions(cfg.Log), stderr)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw serve:", err)
		return 2
	}
	d, err := daemon.New(cfg, daemon.Options{Logger: log, Stdout: stdout, Version: version})
	if err != nil {
		return 1 // logged by New
	}
	return d.Run(sigs, dump)
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
