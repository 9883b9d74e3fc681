package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"smsgw/modem/sim"
)

func init() {
	register(command{name: "sim", summary: "run emulated modems on ptys and print their port paths", run: runSimCmd})
}

var simDoc = usageDoc{
	synopsis: []string{"smsgw sim --modems N --dir DIR [--profile P[,P...]] [--pin PIN] [--submit-delay D] [--boot-delay D] [--noise D] [-v]"},
	about: `Runs emulated modems on pseudo terminals, prints one line per modem with its
port path, and reads control lines on stdin until interrupted.

` + simHelp,
	exits: []int{exitOK, exitRefused, exitUsage},
}

func runSimCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runSim(ctx, args, os.Stdin, stdout, stderr)
}

// runSim starts the emulated modems, prints one line per modem, executes
// control lines read from in (see simHelp) and blocks until ctx ends.
func runSim(ctx context.Context, args []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("sim")
	n := fs.Int("modems", 2, "number of emulated modems")
	dir := fs.String("dir", "", "directory for the port symlinks (required)")
	profiles := fs.String("profile", "generic", "comma-separated profiles, used round-robin ("+strings.Join(sim.Profiles(), ", ")+")")
	pin := fs.String("pin", "", "SIM PIN every emulated modem asks for")
	delay := fs.Duration("submit-delay", 0, "time between ^Z and the +CMGS result")
	noise := fs.Duration("noise", 0, "emit a random URC this often (0: off)")
	boot := fs.Duration("boot-delay", 0, "pause between power-up banners (the SMS service is ready after the last)")
	verbose := fs.Bool("v", false, "log AT traffic to stderr (PINs redacted)")
	pos, code, done := parseFlags(fs, simDoc, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, fs, simDoc, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(stderr, fs, simDoc, "--dir is required")
	case *n < 1:
		return usageError(stderr, fs, simDoc, "--modems %d: want at least 1", *n)
	}
	names := strings.Split(*profiles, ",")
	for _, p := range names {
		if _, err := sim.LookupProfile(strings.TrimSpace(p)); err != nil {
			return usageError(stderr, fs, simDoc, "%v", err)
		}
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	net := sim.NewNetwork(sim.NetworkOptions{Logger: logger})
	defer closeBounded(net) // an early return; a second Close is a no-op
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
	fmt.Fprintf(stdout, "# %d emulated modems up; messages to other numbers go to the outbox; type \"help\" for control commands; Ctrl-C to stop\n", *n)
	if in != nil {
		go simControl(net, in, stdout)
	}
	<-ctx.Done()
	for _, s := range net.Outbox() {
		fmt.Fprintf(stderr, "outbox: %s -> %s mr=%d %d octets at %s\n", s.From, s.To, s.MR, len(s.TPDU), s.Time.Format(time.RFC3339))
	}
	if err := closeBounded(net); err != nil {
		fmt.Fprintln(stderr, "smsgw sim:", err)
		return 1
	}
	return 0
}

const simHelp = `control commands (one per line on stdin; N is the modem number from 0):
  deliver N FROM TEXT...   an SMS from FROM arrives at modem N
  unplug N | replug N      pull the modem out / plug it back in
  hang N on|off            stop / resume answering
  hang N for DURATION      stop answering for a while, e.g. 4s
  hang N submit [DURATION] go silent at the next AT+CMGS, before its prompt
                           (for DURATION, or until "hang N off")
  hang N pdu [DURATION]    take the next PDU, then go silent (its answer is lost)
  fail N COUNT CODE        the next COUNT submits fail with +CMS ERROR: CODE
  delay N DURATION         time between ^Z and +CMGS, e.g. 5s
  reg N STAT               registration: 0 none, 1 home, 5 roaming
  outbox                   list what was sent to numbers outside the emulation
  help`

// simControl runs control lines until in ends. It owns no state of its
// own: every command is a call on the network or a modem.
func simControl(net *sim.Network, in io.Reader, out io.Writer) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if err := simCommand(net, f, out); err != nil {
			fmt.Fprintln(out, "error:", err)
		}
	}
}

func simCommand(net *sim.Network, f []string, out io.Writer) error {
	modem := func() (*sim.Modem, error) {
		ms := net.Modems()
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: which modem?", f[0])
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= len(ms) {
			return nil, fmt.Errorf("%s: no modem %q (0-%d)", f[0], f[1], len(ms)-1)
		}
		return ms[i], nil
	}
	need := func(n int) error {
		if len(f) < n {
			return fmt.Errorf("%s: missing arguments (see help)", f[0])
		}
		return nil
	}
	switch f[0] {
	case "help":
		fmt.Fprintln(out, simHelp)
		return nil
	case "outbox":
		for _, s := range net.Outbox() {
			text, err := s.Text()
			if err != nil {
				text = fmt.Sprintf("(%v)", err)
			}
			fmt.Fprintf(out, "%s\t%s -> %s\tmr=%d\t%q\n", s.Time.Format(time.RFC3339), s.From, s.To, s.MR, text)
		}
		return nil
	}
	switch f[0] {
	case "deliver", "unplug", "replug", "hang", "fail", "delay", "reg":
	default:
		return fmt.Errorf("unknown command %q (try help)", f[0])
	}
	m, err := modem()
	if err != nil {
		return err
	}
	switch f[0] {
	case "deliver":
		if err := need(4); err != nil {
			return err
		}
		err = net.Deliver(m.Number(), f[2], strings.Join(f[3:], " "))
	case "unplug":
		err = m.Unplug()
	case "replug":
		err = m.Replug()
	case "hang":
		if err := need(3); err != nil {
			return err
		}
		var d time.Duration
		if len(f) > 3 {
			if d, err = time.ParseDuration(f[3]); err != nil || d <= 0 {
				return fmt.Errorf("hang: DURATION like 4s")
			}
		}
		switch f[2] {
		case "on", "off":
			m.Hang(f[2] == "on")
		case "for":
			if d <= 0 {
				return fmt.Errorf("hang N for DURATION")
			}
			m.HangFor(d)
		case "submit":
			m.HangOnSubmit(d)
		case "pdu":
			m.HangOnPDU(d)
		default:
			return fmt.Errorf("hang N on|off|for|submit|pdu")
		}
	case "fail":
		if err := need(4); err != nil {
			return err
		}
		count, err1 := strconv.Atoi(f[2])
		code, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("fail: COUNT and CODE are numbers")
		}
		m.FailSubmits(count, code)
	case "delay":
		if err := need(3); err != nil {
			return err
		}
		d, err := time.ParseDuration(f[2])
		if err != nil {
			return fmt.Errorf("delay: %w", err)
		}
		m.SetSubmitDelay(d)
	case "reg":
		if err := need(3); err != nil {
			return err
		}
		stat, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Errorf("reg: %w", err)
		}
		m.SetRegistration(stat)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "ok")
	return nil
}
