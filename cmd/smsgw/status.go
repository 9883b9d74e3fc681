package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"smsgw/wire"
	"text/tabwriter"
	"time"
)

func init() {
	register(command{name: "status", summary: "show a message: state, parts, attempts", run: runStatus})
}

var statusDoc = usageDoc{
	synopsis: []string{"smsgw status ID [--json]"},
	about:    "Shows a message: its state, parts, delivery reports and attempts.",
	exits:    clientExits,
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status")
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	id, code, done := idArg(fs, statusDoc, args, stdout, stderr)
	if done {
		return code
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, statusDoc, "%v", err)
	}
	var m wire.Message
	if err := c.do(context.Background(), "GET", "/v1/messages/"+url.PathEscape(id), nil, &m); err != nil {
		return fail(stderr, "status", err)
	}
	if *asJSON {
		printJSON(stdout, m)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("id", m.ID)
	row("to", m.To)
	row("state", string(m.State))
	row("text", m.Text)
	row("coding", fmt.Sprintf("%s, %d part(s)", m.Coding, m.PartCount))
	row("priority", fmt.Sprint(m.Priority))
	row("created", stamp(&m.CreatedAt))
	row("send at", stamp(m.SendAt))
	row("expires", stamp(m.ExpiresAt))
	row("route", m.Modem)
	row("sent by", m.SentBy)
	row("sent", stamp(m.SentAt))
	row("delivered", stamp(m.DeliveredAt))
	if m.Error != "" {
		row("error", fmt.Sprintf("%s (code %d)", m.Error, m.ErrorCode))
	}
	tw.Flush()
	if len(m.Parts) > 0 {
		fmt.Fprintln(stdout, "\nparts:")
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SEQ\tMR\tSTATUS\tREPORT\tSENT")
		for _, p := range m.Parts {
			mr, rep := "-", "-"
			if p.MR != nil {
				mr = fmt.Sprint(*p.MR)
			}
			if p.ReportStatus != nil {
				rep = fmt.Sprintf("%d %s", *p.ReportStatus, p.ReportText)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", p.Seq, mr, p.Status, rep, stamp(p.SentAt))
		}
		tw.Flush()
	}
	if len(m.Attempts) > 0 {
		fmt.Fprintln(stdout, "\nattempts:")
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  AT\tMODEM\tOUTCOME\tERROR")
		for _, a := range m.Attempts {
			e := a.Error
			if a.ErrorCode != 0 {
				e = fmt.Sprintf("%s (code %d)", e, a.ErrorCode)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", stamp(&a.At), a.Modem, a.Outcome, e)
		}
		tw.Flush()
	}
	return exitOK
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
