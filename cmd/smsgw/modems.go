package main

import (
	"context"
	"fmt"
	"io"
	"smsgw/wire"
	"strings"
	"text/tabwriter"

	"smsgw"
)

func init() {
	register(command{name: "modems", summary: "list modems: state, signal, operator, counters", run: runModems})
}

var modemsDoc = usageDoc{
	synopsis: []string{"smsgw modems [--json]"},
	about:    "Lists the daemon's modems: state, signal, network, operator, number and counters.",
	exits:    clientExits,
}

func runModems(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("modems")
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, code, done := parseFlags(fs, modemsDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, modemsDoc, "unexpected argument %q", pos[0])
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, modemsDoc, "%v", err)
	}
	var l wire.ModemList
	if err := c.do(context.Background(), "GET", "/v1/modems", nil, &l); err != nil {
		return fail(stderr, "modems", err)
	}
	if *asJSON {
		printJSON(stdout, l)
		return exitOK
	}
	if len(l.Modems) == 0 {
		fmt.Fprintln(stdout, "no modems")
		return exitOK
	}
	// A fleet's list (modems of several gateways) names each one's gateway.
	fleet := false
	for _, m := range l.Modems {
		fleet = fleet || m.Node != l.Modems[0].Node
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if fleet {
		fmt.Fprint(tw, "GATEWAY\t")
	}
	fmt.Fprintln(tw, "ID\tSTATE\tSIGNAL\tNETWORK\tOPERATOR\tNUMBER\tSENT\tFAILED\tRECEIVED\tMODEL")
	for _, m := range l.Modems {
		reg := m.Registration
		if reg == "" {
			reg = "unknown"
		}
		if fleet {
			gw := m.Node
			switch {
			case m.NodeStoppedAt != nil:
				gw += " (stopped)"
			case m.NodeAlive != nil && !*m.NodeAlive:
				gw += " (not answering)"
			}
			fmt.Fprintf(tw, "%s\t", gw)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", m.ID, m.State, signalCell(m), reg, dash(m.Operator), dash(m.Number),
			m.Counters.Sent, m.Counters.Failed, m.Counters.Received, dash(strings.TrimSpace(m.Manufacturer+" "+m.Model)))
	}
	tw.Flush()
	for _, m := range l.Modems {
		if m.LastError != "" {
			fmt.Fprintf(stdout, "%s: last error: %s\n", m.ID, m.LastError)
		}
	}
	return exitOK
}

// signalCell draws 0-4 bars and the dBm value: "▂▄▆_ -80 dBm".
func signalCell(m smsgw.ModemStatus) string {
	if m.SignalDBM == nil {
		return "____ -"
	}
	bars := []rune("▂▄▆█")
	var b strings.Builder
	for i := range bars {
		if i < m.SignalBars {
			b.WriteRune(bars[i])
		} else {
			b.WriteRune('_')
		}
	}
	return fmt.Sprintf("%s %d dBm", b.String(), *m.SignalDBM)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
