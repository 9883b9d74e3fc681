package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"smsgw/wire"
	"strings"
	"syscall"
	"time"

	"smsgw"
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

var sendDoc = usageDoc{
	synopsis: []string{"smsgw send --to NUMBER[,NUMBER] [--text TEXT | < file] [--wait [--timeout D]] [--json] [flags]"},
	about: `Queues an SMS through the daemon. With --wait, follows it until delivered (or
sent, with --no-report) and says in the exit code whether sending again is safe.
The token comes from SMSGW_TOKEN.`,
	exits: []int{exitOK, exitRefused, exitUsage, exitFailed, exitTimeout, exitUnknown, exitUnreachable},
}

// parseSendAt reads --send-at: an RFC 3339 time or a duration from now.
func parseSendAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "+")); err == nil && d >= 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--send-at %q: want an RFC 3339 time such as 2026-05-01T08:00:00+02:00 or a duration from now such as 30m", s)
}

func runSend(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return send(ctx, os.Stdin, args, stdout, stderr)
}

func send(ctx context.Context, stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("send")
	addr := addrFlag(fs)
	var to listFlag
	fs.Var(&to, "to", "`NUMBER`(s) to send to: E.164 numbers, comma-separated or repeated (required)")
	text := fs.String("text", "", "message `TEXT` (default: read from stdin)")
	wait := fs.Bool("wait", false, "follow the message(s) until delivered (or sent, with --no-report) and reflect the outcome in the exit code")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: give up after this `long` (exit 4)")
	asJSON := fs.Bool("json", false, "print JSON")
	noReport := fs.Bool("no-report", false, "do not ask for a delivery report")
	priority := fs.Int("priority", 0, "`N`: higher is sent first (-128..127)")
	modem := fs.String("modem", "", "send through the modem with this `ID` only")
	ttl := fs.Duration("ttl", 0, "give up if not sent within this `long`, counted from --send-at (5s to 1 year; default: never)")
	sendAt := fs.String("send-at", "", "send no earlier than `TIME`: an RFC 3339 time, or a duration from now such as 30m")
	category := fs.String("category", "", "`CATEGORY`: transactional (the default: one-time codes, alerts) or marketing (stopped for numbers that opted out)")
	var tags listFlag
	fs.Var(&tags, "tags", "`TAG`s (labels) to find the message by later, comma-separated or repeated")
	flash := fs.Bool("flash", false, "class 0: shown at once, not stored")
	encoding := fs.String("encoding", "auto", "`CODING`: auto, gsm7 or ucs2")
	key := fs.String("idempotency-key", "", "retrying with the same `KEY` never sends twice")
	pos, code, done := parseFlags(fs, sendDoc, args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, fs, sendDoc, "unexpected argument %q (put the text in --text or on stdin)", pos[0])
	case len(to) == 0:
		return usageError(stderr, fs, sendDoc, "--to is required")
	case *ttl != 0 && (*ttl < 5*time.Second || *ttl > 365*24*time.Hour):
		return usageError(stderr, fs, sendDoc, "--ttl %v: want 5s to 1 year (8760h)", *ttl)
	case *timeout <= 0:
		return usageError(stderr, fs, sendDoc, "--timeout %v: want a positive duration", *timeout)
	}
	if _, err := smsgw.ParseCategory(*category); err != nil {
		return usageError(stderr, fs, sendDoc, "--%v", err)
	}
	at, err := parseSendAt(*sendAt, time.Now())
	if err != nil {
		return usageError(stderr, fs, sendDoc, "%v", err)
	}
	body := *text
	if !flagSet(fs, "text") {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			fmt.Fprintln(stderr, "smsgw send: reading stdin:", err)
			return exitUsage
		}
		body = strings.TrimRight(string(b), "\n")
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, sendDoc, "%v", err)
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
	if !at.IsZero() {
		req["send_at"] = at.UTC().Format(time.RFC3339)
	}
	if len(tags) > 0 {
		req["tags"] = []string(tags)
	}
	if *category != "" {
		req["category"] = *category
	}
	var hdr []string
	if *key != "" {
		hdr = []string{"Idempotency-Key", *key}
	}

	// Subscribe before sending, so no event about the new messages is
	// missed. Everything --wait needs is checked here, before anything is
	// queued: a wrapper that retries on a non-zero exit must not be told
	// "error" about a message that is in fact on its way.
	var evs <-chan smsgw.Event
	var evErr <-chan error
	waitCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *wait {
		evs, evErr, err = c.events(waitCtx, strings.Join([]string{smsgw.EventSent, smsgw.EventDelivered, smsgw.EventFailed}, ","))
		if err != nil {
			if code, stop := waitRefused(ctx, c, err, stderr); stop {
				return code
			}
			fmt.Fprintf(stderr, "smsgw send: no event stream (%v); checking every 2 s instead\n", err)
		}
	}
	var res wire.SendResponse
	if err := c.do(ctx, "POST", "/v1/messages", req, &res, hdr...); err != nil {
		fmt.Fprintln(stderr, "smsgw send:", err)
		switch st := statusOf(err); {
		case unreachable(err), st >= 500:
			fmt.Fprintln(stderr, "smsgw send: nothing was queued; try again later")
			return exitUnreachable
		case st >= 400:
			return exitRefused
		}
		// The request went out and no usable answer came back: the daemon
		// may have queued it. Only the idempotency key makes a retry safe.
		fmt.Fprintln(stderr, "smsgw send: the message may have been queued; do not send it again without the same --idempotency-key")
		return exitUnknown
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

// waitRefused decides, from the failure to open the event stream, whether
// --wait can work at all. It returns the exit code and true when the send
// must stop before queueing anything: the token may not read messages
// (--wait cannot follow them, so it refuses as a usage error), the token is
// wrong, or the daemon cannot be reached. Otherwise (an older daemon, a
// limit on streams) --wait falls back to reading the messages every 2 s,
// once a read has shown that the token may.
func waitRefused(ctx context.Context, c *client, streamErr error, stderr io.Writer) (int, bool) {
	err := streamErr
	if st := statusOf(err); st != http.StatusForbidden && st != http.StatusUnauthorized && !unreachable(err) {
		// Any id will do: only whether the read is allowed matters.
		err = c.do(ctx, "GET", "/v1/messages/0", nil, nil)
		if st := statusOf(err); st != http.StatusForbidden && st != http.StatusUnauthorized && !unreachable(err) {
			return 0, false
		}
	}
	switch {
	case statusOf(err) == http.StatusForbidden:
		fmt.Fprintln(stderr, "smsgw send: --wait needs a token that may read messages (scope read or all); this one may only send.")
		fmt.Fprintln(stderr, "smsgw send: nothing was sent. Send without --wait, and follow with a read token: smsgw status ID")
		return exitUsage, true
	case unreachable(err):
		fmt.Fprintf(stderr, "smsgw send: %v\nsmsgw send: nothing was sent; try again later\n", err)
		return exitUnreachable, true
	default:
		fmt.Fprintf(stderr, "smsgw send: %v\nsmsgw send: nothing was sent\n", err)
		return exitRefused, true
	}
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// outcome reports whether a message has reached its outcome for --wait,
// and the exit code that outcome calls for.
func outcome(m wire.Message, report bool) (finished bool, code int) {
	switch m.State {
	case smsgw.StateDelivered:
		return true, exitOK
	case smsgw.StateSent:
		return !report, exitOK
	case smsgw.StateFailed, smsgw.StateExpired, smsgw.StateCancelled:
		return true, exitFailed
	case smsgw.StateUncertain:
		// It may have reached the network: resending could deliver it twice.
		return true, exitUnknown
	}
	return false, exitOK
}

// follow re-reads each pending message whenever an event names it (and
// every 30 s in case an event was dropped, every 2 s without events or
// while the daemon cannot be reached), printing state changes, until every
// message reached its outcome or ctx ends. A daemon that restarts meanwhile
// is waited for: losing it is not an outcome.
func follow(ctx context.Context, c *client, res wire.SendResponse, report bool, evs <-chan smsgw.Event, evErr <-chan error, asJSON bool, stdout, stderr io.Writer) int {
	pending := map[string]smsgw.State{} // id -> last state shown
	for _, m := range res.Messages {
		pending[m.ID] = m.State
	}
	final := map[string]wire.Message{}
	code := exitOK
	var lost error // the last failure to reach the daemon, until a read works again
	check := func(id string) error {
		var m wire.Message
		if err := c.do(ctx, "GET", "/v1/messages/"+url.PathEscape(id), nil, &m); err != nil {
			return err
		}
		lost = nil
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
		if fin, oc := outcome(m, report); fin {
			final[id] = m
			delete(pending, id)
			code = max(code, oc)
		}
		return nil
	}
	tick := 30 * time.Second
	if evs == nil {
		tick = 2 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	// checkAll returns an error only when following cannot go on (the
	// daemon refuses the read); an unreachable or failing daemon is tried
	// again every 2 s.
	checkAll := func() error {
		for id := range pending {
			if err := check(id); err != nil {
				if statusOf(err) >= 400 && statusOf(err) < 500 || ctx.Err() != nil {
					return err
				}
				if lost == nil {
					fmt.Fprintf(stderr, "smsgw send: %v; trying again every 2 s\n", err)
				}
				lost = err
				t.Reset(2 * time.Second)
				return nil
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
			var p wire.EventPayload
			if jsonUnmarshal(ev.Payload, &p) == nil {
				if _, mine := pending[p.MessageID]; mine {
					err = check(p.MessageID)
					if err != nil && !(statusOf(err) >= 400 && statusOf(err) < 500) && ctx.Err() == nil {
						lost, err = err, nil
						t.Reset(2 * time.Second)
					}
				}
			}
		}
	}
	if asJSON {
		out := make([]wire.Message, 0, len(res.Messages))
		for _, m := range res.Messages {
			if f, ok := final[m.ID]; ok {
				out = append(out, f)
			} else {
				out = append(out, wire.Message{ID: m.ID, To: m.To, State: pending[m.ID]})
			}
		}
		printJSON(stdout, out)
	}
	switch {
	case code == exitUnknown:
		fmt.Fprintln(stderr, "smsgw send: a message is uncertain: it may have reached the network; do not send it again")
		return exitUnknown
	case errors.Is(err, context.DeadlineExceeded) && lost != nil:
		fmt.Fprintf(stderr, "smsgw send: timed out with %d message(s) queued and their state unknown (%v); do not send them again\n", len(pending), lost)
		return exitUnknown
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "smsgw send: timed out with %d message(s) not finished; they stay queued\n", len(pending))
		return exitTimeout
	case err != nil:
		// Interrupted, or the daemon refuses to show the message (deleted,
		// or another token): it was queued all the same.
		fmt.Fprintf(stderr, "smsgw send: %v; %d message(s) queued, state unknown\n", err, len(pending))
		return exitUnknown
	}
	return code
}
