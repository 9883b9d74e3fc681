package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"smsgw/api"
)

func init() {
	register(command{name: "send", summary: "queue an SMS (--wait: follow it until sent/delivered)", run: runSend})
}

// listFlag collects --to values, each possibly comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runSend(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return send(ctx, os.Stdin, args, stdout, stderr)
}

func send(ctx context.Context, stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := addrFlag(fs)
	var to listFlag
	fs.Var(&to, "to", "recipient(s): E.164 numbers, comma-separated or repeated")
	text := fs.String("text", "", "message text (default: read from stdin)")
	wait := fs.Bool("wait", false, "follow the message(s) until delivered (or sent, with --no-report) and reflect the outcome in the exit code")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this long (exit 4)")
	asJSON := fs.Bool("json", false, "print JSON")
	noReport := fs.Bool("no-report", false, "do not ask for a delivery report")
	priority := fs.Int("priority", 0, "higher is sent first (-128..127)")
	modem := fs.String("modem", "", "send through this modem only")
	ttl := fs.Duration("ttl", 0, "give up if not sent within this long")
	flash := fs.Bool("flash", false, "class 0: shown at once, not stored")
	encoding := fs.String("encoding", "auto", "auto, gsm7 or ucs2")
	key := fs.String("idempotency-key", "", "retrying with the same key never sends twice")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: smsgw send --to NUMBER[,NUMBER] [--text TEXT | < file] [--wait] [--json]")
		fmt.Fprintln(stderr, "exit codes: 0 ok, 1 error, 2 usage, 3 a message failed (--wait), 4 timeout (--wait)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if len(to) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	body := *text
	if !flagSet(fs, "text") {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return fail(stderr, "send", fmt.Errorf("reading stdin: %w", err))
		}
		body = strings.TrimRight(string(b), "\n")
	}
	c, err := newClient(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw send:", err)
		return exitUsage
	}
	req := map[string]any{"to": []string(to), "text": body, "delivery_report": !*noReport, "encoding": *encoding}
	if *priority != 0 {
		req["priority"] = *priority
	}
	if *modem != "" {
		req["modem"] = *modem
	}
	if *ttl > 0 {
		req["ttl"] = int64(ttl.Seconds())
	}
	if *flash {
		req["flash"] = true
	}
	var hdr []string
	if *key != "" {
		hdr = []string{"Idempotency-Key", *key}
	}

	// Subscribe before sending, so no event about the new messages is
	// missed; the stream is optional (an older or restricted daemon).
	var evs <-chan api.Event
	var evErr <-chan error
	waitCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *wait {
		evs, evErr, err = c.events(waitCtx, "sms:sent,sms:delivered,sms:failed")
		if err != nil {
			fmt.Fprintf(stderr, "smsgw send: no event stream (%v); checking every 2 s instead\n", err)
		}
	}
	var res api.SendResponse
	if err := c.do(ctx, "POST", "/v1/messages", req, &res, hdr...); err != nil {
		return fail(stderr, "send", err)
	}
	if *asJSON && !*wait {
		printJSON(stdout, res)
		return exitOK
	}
	if !*asJSON {
		for _, m := range res.Messages {
			switch m.Parts {
			case 0: // a server that does not say
				fmt.Fprintf(stdout, "%s  %s  %s\n", m.ID, m.To, m.State)
			case 1:
				fmt.Fprintf(stdout, "%s  %s  %s (1 part, %s)\n", m.ID, m.To, m.State, m.Coding)
			default:
				fmt.Fprintf(stdout, "%s  %s  %s (%d parts, %s)\n", m.ID, m.To, m.State, m.Parts, m.Coding)
			}
		}
	}
	if !*wait {
		return exitOK
	}
	return follow(waitCtx, c, res, !*noReport, evs, evErr, *asJSON, stdout, stderr)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// done reports whether a message has reached its outcome for --wait, and
// whether that outcome is a success.
func done(m api.Message, report bool) (finished, ok bool) {
	switch m.State {
	case api.StateDelivered:
		return true, true
	case api.StateSent:
		return !report, true
	case api.StateFailed, api.StateExpired, api.StateCancelled, api.StateUncertain:
		return true, false
	}
	return false, false
}

// follow re-reads each pending message whenever an event names it (and
// every 30 s in case an event was dropped), printing state changes, until
// every message reached its outcome or ctx ends.
func follow(ctx context.Context, c *client, res api.SendResponse, report bool, evs <-chan api.Event, evErr <-chan error, asJSON bool, stdout, stderr io.Writer) int {
	pending := map[string]string{} // id -> last state shown
	for _, m := range res.Messages {
		pending[m.ID] = m.State
	}
	final := map[string]api.Message{}
	failed := false
	check := func(id string) error {
		var m api.Message
		if err := c.do(ctx, "GET", "/v1/messages/"+id, nil, &m); err != nil {
			return err
		}
		if m.State != pending[id] && !asJSON {
			line := fmt.Sprintf("%s  %s  %s", m.ID, m.To, m.State)
			if m.SentBy != "" {
				line += " via " + m.SentBy
			}
			if m.Error != "" {
				line += ": " + m.Error
			}
			fmt.Fprintln(stdout, line)
		}
		pending[id] = m.State
		if fin, ok := done(m, report); fin {
			final[id] = m
			delete(pending, id)
			failed = failed || !ok
		}
		return nil
	}
	tick := 30 * time.Second
	if evs == nil {
		tick = 2 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	checkAll := func() error {
		for id := range pending {
			if err := check(id); err != nil {
				return err
			}
		}
		return nil
	}
	err := checkAll()
	for err == nil && len(pending) > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
			err = checkAll()
		case e, ok := <-evErr:
			if ok {
				fmt.Fprintf(stderr, "smsgw send: %v; checking every 2 s instead\n", e)
			}
			evs, evErr = nil, nil
			t.Reset(2 * time.Second)
		case ev, ok := <-evs:
			if !ok {
				evs = nil
				continue
			}
			var p api.EventPayload
			if jsonUnmarshal(ev.Payload, &p) == nil {
				if _, mine := pending[p.MessageID]; mine {
					err = check(p.MessageID)
				}
			}
		}
	}
	if asJSON {
		out := make([]api.Message, 0, len(res.Messages))
		for _, m := range res.Messages {
			if f, ok := final[m.ID]; ok {
				out = append(out, f)
			} else {
				out = append(out, api.Message{ID: m.ID, To: m.To, State: pending[m.ID]})
			}
		}
		printJSON(stdout, out)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "smsgw send: timed out with %d message(s) not finished\n", len(pending))
		return exitTimeout
	case err != nil:
		return fail(stderr, "send", err)
	case failed:
		return exitFailed
	}
	return exitOK
}
