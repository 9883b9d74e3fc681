package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/modem/pdu"
)

func init() {
	register(command{name: "modem", summary: "talk to one modem directly: probe PORT, send PORT --to N --text T", run: runModem})
}

const modemAbout = `Talks to one modem directly, without the daemon (stop it first: it holds the
ports). The PIN may also come from the environment variable SMSGW_PIN.
smsgw help modem probe and smsgw help modem send show their flags.`

var (
	modemProbeSynopsis = "smsgw modem probe PORT [--baud B] [--pin PIN] [--json] [--timeout D] [--trace]"
	modemSendSynopsis  = "smsgw modem send PORT --to NUMBER --text TEXT [--baud B] [--pin PIN] [--smsc N] [--srr] [--json] [--timeout D] [--trace]"
	modemDoc           = usageDoc{name: "modem", synopsis: []string{modemProbeSynopsis, modemSendSynopsis}, about: modemAbout, exits: []int{exitOK, exitRefused, exitUsage, exitFailed, exitUnknown}}
	modemProbeDoc      = usageDoc{synopsis: []string{modemProbeSynopsis}, about: "Prints the modem's identity, SIM state, signal, registration, operator and storage.", exits: []int{exitOK, exitRefused, exitUsage}}
	modemSendDoc       = usageDoc{synopsis: []string{modemSendSynopsis}, about: "Sends one SMS (any length, any script) through the modem.", exits: []int{exitOK, exitRefused, exitUsage, exitFailed, exitUnknown}}
)

func runModem(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, modemDoc, "a subcommand is needed (probe or send)")
	}
	switch args[0] {
	case "probe":
		return runModemProbe(args[1:], stdout, stderr)
	case "send":
		return runModemSend(args[1:], stdout, stderr)
	}
	if wantsHelp(args) {
		writeUsage(stdout, nil, modemDoc)
		return exitOK
	}
	return usageError(stderr, nil, modemDoc, "unknown subcommand %q (want probe or send)", args[0])
}

// modemFlags are the flags both subcommands share.
type modemFlags struct {
	baud    int
	pin     string
	smsc    string
	json    bool
	trace   bool
	timeout time.Duration
}

func (f *modemFlags) register(fs *flag.FlagSet, timeout time.Duration) {
	fs.IntVar(&f.baud, "baud", 115200, "baud rate (USB modems ignore it)")
	fs.StringVar(&f.pin, "pin", "", "SIM PIN, entered once if the SIM asks (default $SMSGW_PIN)")
	fs.StringVar(&f.smsc, "smsc", "", "set the SMS service centre number with AT+CSCA")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	fs.BoolVar(&f.trace, "trace", false, "print the AT traffic to stderr (PIN redacted)")
	fs.DurationVar(&f.timeout, "timeout", timeout, "give up after this long")
}

func (f *modemFlags) open(ctx context.Context, port string, stderr io.Writer, noSIMOK bool) (*modem.Modem, error) {
	pin := f.pin
	if pin == "" {
		pin = os.Getenv("SMSGW_PIN")
	}
	cfg := modem.Config{
		Baud:    f.baud,
		PIN:     pin,
		SMSC:    f.smsc,
		NoSIMOK: noSIMOK,
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if f.trace {
		cfg.Trace = stderr
	}
	return modem.Open(ctx, port, cfg)
}

// probeReport is what `smsgw modem probe --json` prints.
type probeReport struct {
	Port         string               `json:"port"`
	Identity     modem.Identity       `json:"identity"`
	SIM          string               `json:"sim"`
	Signal       modem.Signal         `json:"signal"`
	Registration modem.Registration   `json:"registration"`
	Operator     modem.Operator       `json:"operator"`
	Storage      *modem.StorageStatus `json:"storage,omitempty"`
	Setup        modemSetupReport     `json:"setup"`
	Errors       map[string]string    `json:"errors,omitempty"`
}

type modemSetupReport struct {
	CNMI        string `json:"cnmi"`
	AckRequired bool   `json:"ack_required"`
	CURC        bool   `json:"curc_silenced"`
}

func runModemProbe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("modem probe")
	var f modemFlags
	f.register(fs, 90*time.Second)
	pos, code, done := parseFlags(fs, modemProbeDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, fs, modemProbeDoc, "one PORT is needed, not %d", len(pos))
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	m, err := f.open(ctx, pos[0], stderr, true)
	if err != nil {
		fmt.Fprintf(stderr, "smsgw modem probe: %v\n", err)
		return 1
	}
	defer closeBounded(m)
	go drain(m)

	r := probeReport{Port: pos[0], Errors: map[string]string{}}
	note := func(what string, err error) {
		if err != nil {
			r.Errors[what] = err.Error()
		}
	}
	r.Identity, err = m.Identity(ctx)
	note("identity", err)
	r.SIM, err = m.SIMState(ctx)
	note("sim", err)
	r.Signal, err = m.Signal(ctx)
	note("signal", err)
	r.Registration, err = m.Registration(ctx)
	note("registration", err)
	r.Operator, err = m.Operator(ctx)
	note("operator", err)
	if st, err := m.Storage(ctx); err == nil {
		r.Storage = &st
	} else {
		note("storage", err)
	}
	s := m.Setup()
	r.Setup = modemSetupReport{CNMI: s.CNMI, AckRequired: s.AckRequired, CURC: s.CURC}
	code = 0
	if s.SIMErr != nil {
		// The report still shows what the device is; the exit code says it
		// cannot send.
		r.Errors["sim"] = s.SIMErr.Error()
		code = 1
	}
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	if m.Err() != nil {
		fmt.Fprintf(stderr, "smsgw modem probe: %v\n", m.Err())
		return 1
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return 1
		}
		return code
	}
	printProbe(stdout, r)
	return code
}

func printProbe(w io.Writer, r probeReport) {
	row := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(w, "%-13s %s\n", k, v)
	}
	row("port", r.Port)
	row("manufacturer", r.Identity.Manufacturer)
	row("model", r.Identity.Model)
	row("revision", r.Identity.Revision)
	row("imei", r.Identity.IMEI)
	row("imsi", r.Identity.IMSI)
	row("iccid", r.Identity.ICCID)
	row("number", r.Identity.Number)
	row("sim", r.SIM)
	sig := fmt.Sprintf("CSQ %d,%d", r.Signal.RSSI, r.Signal.BER)
	if r.Signal.DBm != nil {
		sig = fmt.Sprintf("%d dBm (%s)", *r.Signal.DBm, sig)
	} else {
		sig = "unknown (" + sig + ")"
	}
	if r.Signal.RSRP != nil {
		sig += fmt.Sprintf(", RSRP %d dBm", *r.Signal.RSRP)
	}
	row("signal", sig)
	reg := r.Registration.State
	if r.Registration.Stat >= 0 {
		reg = fmt.Sprintf("%s (%s stat %d)", reg, r.Registration.Source, r.Registration.Stat)
	}
	row("registration", reg)
	row("operator", r.Operator.Name)
	if r.Storage != nil {
		row("storage", fmt.Sprintf("%s %d/%d", r.Storage.Storage, r.Storage.Used, r.Storage.Total))
	}
	row("cnmi", r.Setup.CNMI)
	for k, v := range r.Errors {
		row("error "+k, v)
	}
}

// drain consumes events nobody needs in a one-shot command.
func drain(m *modem.Modem) {
	for range m.Events() {
	}
}

// sendReport is what `smsgw modem send --json` prints.
type sendReport struct {
	To    string `json:"to"`
	Parts int    `json:"parts"`
	MRs   []int  `json:"mrs"`
	Error string `json:"error,omitempty"`
	Class string `json:"class,omitempty"`
}

func runModemSend(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("modem send")
	var f modemFlags
	f.register(fs, 10*time.Minute)
	to := fs.String("to", "", "recipient number (E.164 with +, or national)")
	text := fs.String("text", "", "message text (any length, any script)")
	srr := fs.Bool("srr", false, "request a delivery report")
	pos, code, done := parseFlags(fs, modemSendDoc, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) != 1:
		return usageError(stderr, fs, modemSendDoc, "one PORT is needed, not %d", len(pos))
	case *to == "":
		return usageError(stderr, fs, modemSendDoc, "--to is required")
	case *text == "":
		return usageError(stderr, fs, modemSendDoc, "--text is required")
	}
	parts, err := pdu.EncodeSubmit(*to, *text, pdu.SubmitOptions{StatusReport: *srr})
	if err != nil {
		return usageError(stderr, fs, modemSendDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	m, err := f.open(ctx, pos[0], stderr, false)
	if err != nil {
		fmt.Fprintf(stderr, "smsgw modem send: %v\n", err)
		return 1
	}
	defer closeBounded(m)
	go drain(m)
	mrs, err := m.SendParts(ctx, modem.PartsOf(parts))
	rep := sendReport{To: *to, Parts: len(parts), MRs: mrs}
	if rep.MRs == nil {
		rep.MRs = []int{}
	}
	if err != nil {
		rep.Error = err.Error()
		rep.Class = at.Classify(err).String()
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else if err == nil {
		strs := make([]string, len(mrs))
		for i, mr := range mrs {
			strs[i] = fmt.Sprint(mr)
		}
		fmt.Fprintf(stdout, "sent %d part(s) to %s, message reference(s): %s\n", len(parts), *to, strings.Join(strs, ", "))
	}
	if err != nil {
		var se *modem.SendError
		if errors.As(err, &se) && len(se.MRs) > 0 {
			// Part of it is on the phone: sending again repeats those parts.
			fmt.Fprintf(stderr, "smsgw modem send: %d of %d parts sent (MRs %v) before: %v (%s)\n", len(se.MRs), len(parts), se.MRs, err, rep.Class)
			return exitUnknown
		}
		fmt.Fprintf(stderr, "smsgw modem send: %v (%s)\n", err, rep.Class)
		return exitFailed
	}
	return 0
}

// closeWait bounds the Close of a modem or of the emulated modems when a
// command ends: a port that will not let go must not hang the command.
const closeWait = 10 * time.Second

// closeBounded closes c within closeWait.
func closeBounded(c interface{ Close(context.Context) error }) error {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	return c.Close(ctx)
}
