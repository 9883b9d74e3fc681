package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"smsgw/modem/sim"
)

func init() {
	register(command{name: "sim", summary: "run emulated modems on ptys and print their port paths", run: runSimCmd})
}

func runSimCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runSim(ctx, args, stdout, stderr)
}

// runSim starts the emulated modems, prints one line per modem and blocks
// until ctx ends.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("modems", 2, "number of emulated modems")
	dir := fs.String("dir", "", "directory for the port symlinks (required)")
	profiles := fs.String("profile", "generic", "comma-separated profiles, used round-robin ("+strings.Join(sim.Profiles(), ", ")+")")
	pin := fs.String("pin", "", "SIM PIN every emulated modem asks for")
	delay := fs.Duration("submit-delay", 0, "time between ^Z and the +CMGS result")
	noise := fs.Duration("noise", 0, "emit a random URC this often (0: off)")
	boot := fs.Duration("boot-delay", 0, "pause between power-up banners (the SMS service is ready after the last)")
	verbose := fs.Bool("v", false, "log AT traffic to stderr (PINs redacted)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: smsgw sim --modems N --dir DIR [--profile P[,P...]] [--pin PIN] [--submit-delay D] [--boot-delay D] [--noise D] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || *n < 1 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	names := strings.Split(*profiles, ",")
	for _, p := range names {
		if _, err := sim.LookupProfile(strings.TrimSpace(p)); err != nil {
			fmt.Fprintln(stderr, "smsgw sim:", err)
			return 2
		}
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	net := sim.NewNetwork(sim.NetworkOptions{Logger: logger})
	defer net.Close()
	for i := 0; i < *n; i++ {
		m, err := net.AddModem(ctx, sim.Options{
			Dir:         *dir,
			Profile:     strings.TrimSpace(names[i%len(names)]),
			PIN:         *pin,
			SubmitDelay: *delay,
			BootDelay:   *boot,
		})
		if err != nil {
			fmt.Fprintln(stderr, "smsgw sim:", err)
			return 1
		}
		if *noise > 0 {
			m.StartNoise(*noise)
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", m.Path(), m.PTY(), m.Number(), m.Profile().Name)
	}
	fmt.Fprintf(stdout, "# %d emulated modems up; messages to other numbers go to the outbox; Ctrl-C to stop\n", *n)
	<-ctx.Done()
	for _, s := range net.Outbox() {
		fmt.Fprintf(stderr, "outbox: %s -> %s mr=%d %d octets at %s\n", s.From, s.To, s.MR, len(s.TPDU), s.Time.Format(time.RFC3339))
	}
	if err := net.Close(); err != nil {
		fmt.Fprintln(stderr, "smsgw sim:", err)
		return 1
	}
	return 0
}
