package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw"
	"smsgw/modem/sim"
	"smsgw/queue"
)

// A 3-part message goes out in one AT+CMMS burst on a modem that accepts
// it (and without on one that refuses it, after one refusal), and each
// part's MR is committed before the next part's AT+CMGS is written.
func TestMultipartBurst(t *testing.T) {
	text := strings.Repeat("burst of parts ", 27) // 405 GSM 7-bit characters: 3 parts
	for _, tc := range []struct {
		prof string
		cmms bool
	}{
		{"quectel-ec25", true},
		{"huawei-e173", false}, // AT+CMMS=1 answers +CMS ERROR: 500
	} {
		t.Run(tc.prof, func(t *testing.T) {
			r := newRig(t, rigOptions{modems: 1, submitDelay: 150 * time.Millisecond,
				simOpts: func(_ int, o *sim.Options) { o.Profile = tc.prof },
				opts:    func(c *Options) { c.ATTrace = 100000 }, // the whole run, in order
			})
			r.waitReady(1)
			r.waitSwept("sim0")
			warm := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: "warm-up"})
			r.waitStates(ids(warm), 20*time.Second, smsgw.StateSent)

			for round := range 2 {
				// The first multipart send asks for AT+CMMS; a modem that
				// refused it is not asked again.
				want := []string{"AT+CMMS=1", "AT+CMGS", "AT+CMGS", "AT+CMGS"}
				if round == 1 && !tc.cmms {
					want = want[1:]
				}
				lines, _ := r.g.Trace("sim0")
				from := len(lines)
				before := r.g.ATCommands("sim0")
				base := len(r.net.Submitted())
				id := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: text})[0].ID

				midBurst, ahead := 0, ""
				r.waitFor("3-part message sent", 30*time.Second, func() bool {
					// Trace first, store second: a part written before the
					// previous one's MR was committed shows as a store
					// behind the wire.
					lines, _ := r.g.Trace("sim0")
					written := 0
					for _, c := range txCommands(lines[from:]) {
						if strings.HasPrefix(c, "AT+CMGS=") {
							written++
						}
					}
					m := r.get(id)
					if len(m.Parts) < written-1 && ahead == "" {
						ahead = fmt.Sprintf("part %d is on the wire with %d parts committed", written, len(m.Parts))
					}
					if written >= 2 && m.State == smsgw.StateSending {
						midBurst++
					}
					return m.State == smsgw.StateSent
				})
				if ahead != "" {
					t.Errorf("round %d: %s", round, ahead)
				}
				if midBurst == 0 {
					t.Errorf("round %d: the burst was never seen in progress; the commit order went unchecked", round)
				}

				lines, _ = r.g.Trace("sim0")
				cmds := txCommands(lines[from:])
				n := r.g.ATCommands("sim0") - before
				t.Logf("%s round %d: 3-part message cost %d AT commands: %q", tc.prof, round, n, cmds)
				if diff := cmp.Diff(want, normCMGS(cmds)); diff != "" {
					t.Errorf("round %d: AT commands (-want +got):\n%s", round, diff)
				}
				if n != int64(len(want)) {
					t.Errorf("round %d: %d AT commands counted, want %d", round, n, len(want))
				}
				// The committed MRs are the ones the network assigned.
				var netMRs, gotMRs []int
				for _, s := range r.net.Submitted()[base:] {
					netMRs = append(netMRs, s.MR)
				}
				m := r.get(id)
				for _, p := range m.Parts {
					gotMRs = append(gotMRs, p.MR)
				}
				if len(m.Parts) != 3 || m.PartsTotal != 3 {
					t.Errorf("round %d: %d parts recorded of %d", round, len(m.Parts), m.PartsTotal)
				}
				if diff := cmp.Diff(netMRs, gotMRs); diff != "" {
					t.Errorf("round %d: MRs (-network +queue):\n%s", round, diff)
				}
			}
		})
	}
}

// A part whose MR cannot be committed stops the burst: the next part is
// not written, and the message, handed back, goes out whole later (the
// unrecorded part is the one duplicate).
func TestRecordingFailureStopsBurst(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1,
		simOpts: func(_ int, o *sim.Options) { o.Profile = "quectel-ec25" },
		opts:    func(c *Options) { c.ATTrace = 100000 },
	})
	r.waitReady(1)
	r.waitSwept("sim0")
	warm := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: "warm-up"})
	r.waitStates(ids(warm), 20*time.Second, smsgw.StateSent)
	// Long enough for the test to act while part 1 awaits its +CMGS.
	r.modems[0].SetSubmitDelay(500 * time.Millisecond)

	lines, _ := r.g.Trace("sim0")
	from := len(lines)
	base := len(r.net.Submitted())
	id := r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: strings.Repeat("burst of parts ", 27)})[0].ID
	r.waitFor("first part on the wire", 20*time.Second, func() bool {
		lines, _ := r.g.Trace("sim0")
		for _, c := range txCommands(lines[from:]) {
			if strings.HasPrefix(c, "AT+CMGS=") {
				return true
			}
		}
		return false
	})
	// The attempt ends under the worker (as if another process had taken
	// the message back): recording part 1 fails.
	log := r.get(id).AttemptLog
	if len(log) != 1 {
		t.Fatalf("attempts %+v", log)
	}
	if err := r.st.Release(context.Background(), log[0].ID); err != nil {
		t.Fatalf("release while part 1 is on the wire: %v", err)
	}
	r.waitStates([]int64{id}, 30*time.Second, smsgw.StateSent)

	lines, _ = r.g.Trace("sim0")
	want := []string{"AT+CMMS=1", "AT+CMGS", "AT+CMMS=1", "AT+CMGS", "AT+CMGS", "AT+CMGS"}
	if diff := cmp.Diff(want, normCMGS(txCommands(lines[from:]))); diff != "" {
		t.Errorf("AT commands: the stopped burst, then the whole message (-want +got):\n%s", diff)
	}
	sub := r.net.Submitted()[base:]
	m := r.get(id)
	if len(sub) != 4 || len(m.Parts) != 3 || len(m.AttemptLog) != 2 {
		t.Fatalf("network got %d parts; queue recorded %d parts in %d attempts", len(sub), len(m.Parts), len(m.AttemptLog))
	}
	for i, p := range m.Parts {
		if p.MR != sub[i+1].MR {
			t.Errorf("part %d recorded MR %d, the resend's MR is %d", p.Seq, p.MR, sub[i+1].MR)
		}
	}
}

// txCommands returns the AT commands among trace lines
// (`15:04:05.000 tx "AT+CMGS=23\r"`), without the line end.
func txCommands(lines []string) []string {
	var out []string
	for _, l := range lines {
		_, rest, ok := strings.Cut(l, ` tx "`)
		if !ok || len(rest) < 2 || !strings.EqualFold(rest[:2], "AT") {
			continue
		}
		out = append(out, strings.TrimSuffix(strings.TrimSuffix(rest, `"`), `\r`))
	}
	return out
}

// normCMGS drops the length of AT+CMGS=<len>.
func normCMGS(cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		if strings.HasPrefix(c, "AT+CMGS=") {
			c = "AT+CMGS"
		}
		out[i] = c
	}
	return out
}
