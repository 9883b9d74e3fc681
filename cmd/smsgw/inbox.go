package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os/signal"
	"smsgw/wire"
	"strings"
	"syscall"
	"time"

	"smsgw"
)

func init() {
	register(command{name: "inbox", summary: "list received SMS (--follow: wait for new ones)", run: runInboxCmd})
}

var inboxDoc = usageDoc{
	synopsis: []string{"smsgw inbox [--since T] [--from NUMBER] [--limit N] [--follow] [--json]"},
	about: `Lists received SMS, the newest N (--limit) newest first. With --follow, then
prints each new message as it arrives, until interrupted.`,
	exits: clientExits,
}

func runInboxCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runInbox(ctx, args, stdout, stderr)
}

func runInbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inbox")
	addr := addrFlag(fs)
	since := fs.String("since", "", "only messages received since `T`: RFC 3339 time, date or duration ago (2h)")
	from := fs.String("from", "", "only messages from this `SENDER`")
	limit := fs.Int("limit", 50, "show the newest `N` messages (1..1000), newest first")
	follow := fs.Bool("follow", false, "after the listing, print each new message as it arrives")
	asJSON := fs.Bool("json", false, "print JSON (with --follow: one object per line)")
	pos, code, done := parseFlags(fs, inboxDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, inboxDoc, "unexpected argument %q", pos[0])
	}
	if *limit < 1 || *limit > 1000 {
		return usageError(stderr, fs, inboxDoc, "--limit %d: want 1..1000", *limit)
	}
	t, err := parseSince(*since, time.Now())
	if err != nil {
		return usageError(stderr, fs, inboxDoc, "%v", err)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, inboxDoc, "%v", err)
	}
	var evs <-chan smsgw.Event
	var evErr <-chan error
	if *follow {
		// Subscribe first: a message arriving during the listing is then
		// seen on the stream (and printed once).
		if evs, evErr, err = c.events(ctx, smsgw.EventReceived); err != nil {
			return fail(stderr, "inbox", err)
		}
	}
	q := url.Values{"limit": {fmt.Sprint(*limit)}}
	if !t.IsZero() {
		q.Set("since", t.UTC().Format(time.RFC3339))
	}
	if *from != "" {
		q.Set("from", *from)
	}
	var list wire.InboxList
	if err := c.do(ctx, "GET", "/v1/inbox?"+q.Encode(), nil, &list); err != nil {
		return fail(stderr, "inbox", err)
	}
	seen := map[string]bool{}
	// Newest first, as the API lists them: the newest N are what --limit
	// promises, and the one that arrived last is the first one read.
	for _, m := range list.Messages {
		seen[m.ID] = true
		if *asJSON && !*follow {
			continue
		}
		printInbound(stdout, m, *asJSON)
	}
	if *asJSON && !*follow {
		printJSON(stdout, list.Messages)
	}
	if !*follow {
		return exitOK
	}
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case err, ok := <-evErr:
			if ok {
				return fail(stderr, "inbox", err)
			}
			evErr = nil
		case ev, ok := <-evs:
			if !ok {
				if ctx.Err() != nil {
					return exitOK
				}
				return fail(stderr, "inbox", fmt.Errorf("the event stream ended"))
			}
			var p wire.EventPayload
			if json.Unmarshal(ev.Payload, &p) != nil || p.MessageID == "" || seen[p.MessageID] {
				continue
			}
			seen[p.MessageID] = true
			var m wire.Inbound
			if err := c.do(ctx, "GET", "/v1/inbox/"+url.PathEscape(p.MessageID), nil, &m); err != nil {
				// Deleted meanwhile, or not readable: show what the event says.
				m = wire.Inbound{ID: p.MessageID, From: p.PhoneNumber, Text: p.Message, Modem: ev.DeviceID}
				if rt, err := time.Parse(time.RFC3339Nano, p.ReceivedAt); err == nil {
					m.ReceivedAt = rt
				}
			}
			printInbound(stdout, m, *asJSON)
		}
	}
}

func printInbound(w io.Writer, m wire.Inbound, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(m)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	flag := ""
	if m.Incomplete {
		flag = " [incomplete]"
	}
	text := strings.ReplaceAll(m.Text, "\n", "\n    ")
	if m.Undecodable {
		// No sender or text to show: what the modem printed, and why it
		// could not be read.
		flag, text = " [undecodable]", m.PDU+"\n    "+m.Error
	}
	fmt.Fprintf(w, "%s  %s  via %s  #%s%s\n    %s\n", m.ReceivedAt.Local().Format("2006-01-02 15:04:05"), m.From, m.Modem, m.ID, flag, text)
}
