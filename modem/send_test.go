package modem_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw/modem"
	"smsgw/modem/sim"
)

// SendPartsFunc against the emulator: the whole message is one AT+CMMS
// burst where the profile accepts it, and every part is reported after its
// +CMGS answer and before the next part is written.
func TestSendPartsFuncBurst(t *testing.T) {
	long := strings.Repeat("Grüße aus Köln ✓ ", 10) // UCS-2, 3 parts
	for _, tc := range []struct {
		prof string
		// commands of the first and of the second 3-part send
		first, second []string
	}{
		{"quectel-ec25", []string{"AT+CMMS=1", "AT+CMGS", "AT+CMGS", "AT+CMGS"}, []string{"AT+CMMS=1", "AT+CMGS", "AT+CMGS", "AT+CMGS"}},
		// Refuses AT+CMMS (+CMS ERROR: 500): asked once, never again.
		{"huawei-e173", []string{"AT+CMMS=1", "AT+CMGS", "AT+CMGS", "AT+CMGS"}, []string{"AT+CMGS", "AT+CMGS", "AT+CMGS"}},
	} {
		t.Run(tc.prof, func(t *testing.T) {
			n := simNet(t)
			a := simModem(t, n, sim.Options{Profile: tc.prof})
			var tr traceBuf
			cfg := simCfg()
			cfg.Trace = &tr
			m := openSim(t, a.Path(), cfg)
			parts := encode(t, "+15557770000", long, false)
			if len(parts) != 3 {
				t.Fatalf("%d parts", len(parts))
			}
			for round, want := range [][]string{tc.first, tc.second} {
				off := tr.Len()
				base := len(n.Submitted())
				var seen []int
				mrs, err := m.SendPartsFunc(sctx(t), parts, func(i, mr int) error {
					// Part i is answered and out; part i+1 is not written.
					cmds, payloads := tr.writes(off)
					if got := countPrefix(cmds, "AT+CMGS="); got != i+1 || len(payloads) != i+1 {
						t.Errorf("round %d: at part %d's report %d AT+CMGS and %d PDUs are written, want %d", round, i, got, len(payloads), i+1)
					}
					if got := len(n.Submitted()) - base; got != i+1 {
						t.Errorf("round %d: at part %d's report the network has %d parts, want %d", round, i, got, i+1)
					}
					seen = append(seen, mr)
					return nil
				})
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if diff := cmp.Diff(mrs, seen); diff != "" {
					t.Errorf("round %d: MRs reported to the callback differ from those returned (-returned +reported):\n%s", round, diff)
				}
				var netMRs []int
				for _, s := range n.Submitted()[base:] {
					netMRs = append(netMRs, s.MR)
				}
				if diff := cmp.Diff(netMRs, mrs); diff != "" {
					t.Errorf("round %d: MRs (-network +returned):\n%s", round, diff)
				}
				cmds, _ := tr.writes(off)
				if diff := cmp.Diff(want, trimArgs(cmds)); diff != "" {
					t.Errorf("round %d: commands (-want +got):\n%s", round, diff)
				}
			}
		})
	}
}

// An error from the callback stops the burst before the next part: the
// network gets the parts up to the refused one, the caller gets their MRs
// and its own error (not a *SendError), and the modem keeps working.
func TestSendPartsFuncCallbackStops(t *testing.T) {
	n := simNet(t)
	a := simModem(t, n, sim.Options{Profile: "quectel-ec25"})
	var tr traceBuf
	cfg := simCfg()
	cfg.Trace = &tr
	m := openSim(t, a.Path(), cfg)
	parts := encode(t, "+15557770000", strings.Repeat("Grüße aus Köln ✓ ", 10), false)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	stop := errors.New("cannot record")
	for _, at := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("refused part %d", at), func(t *testing.T) {
			off := tr.Len()
			base := len(n.Submitted())
			calls := 0
			mrs, err := m.SendPartsFunc(sctx(t), parts, func(i, mr int) error {
				calls++
				if i == at {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Fatalf("error %v, want the callback's", err)
			}
			var se *modem.SendError
			if errors.As(err, &se) {
				t.Errorf("a refused report is not a modem failure: %v", err)
			}
			if len(mrs) != at+1 || calls != at+1 {
				t.Errorf("MRs %v after %d callbacks, want %d of each", mrs, calls, at+1)
			}
			if got := len(n.Submitted()) - base; got != at+1 {
				t.Errorf("network got %d parts, want %d", got, at+1)
			}
			cmds, payloads := tr.writes(off)
			if got := countPrefix(cmds, "AT+CMGS="); got != at+1 || len(payloads) != at+1 {
				t.Errorf("wrote %q and %d PDUs, want %d parts", cmds, len(payloads), at+1)
			}
		})
	}
	// The modem is not left in a half-done state: a single part costs one
	// AT+CMGS and goes out.
	off := tr.Len()
	mrs, err := m.SendPartsFunc(sctx(t), parts[:1], nil)
	if err != nil || len(mrs) != 1 {
		t.Fatalf("send after a stopped burst: %v %v", mrs, err)
	}
	if cmds, _ := tr.writes(off); len(cmds) != 1 {
		t.Errorf("single part after a stopped burst wrote %q", cmds)
	}
}

// A part the modem refuses mid-burst is still a *SendError naming it, with
// the MRs before it, and the callback saw exactly those.
func TestSendPartsFuncPartFails(t *testing.T) {
	n := simNet(t)
	a := simModem(t, n, sim.Options{Profile: "generic"})
	m := openSim(t, a.Path(), simCfg())
	parts := encode(t, "+15557770000", strings.Repeat("Grüße aus Köln ✓ ", 10), false)
	bad := parts[1]
	bad.Len++ // the declared length disagrees with the PDU: +CMS ERROR: 304
	var seen []int
	mrs, err := m.SendPartsFunc(sctx(t), []modem.Part{parts[0], bad, parts[2]}, func(i, mr int) error {
		seen = append(seen, mr)
		return nil
	})
	var se *modem.SendError
	if !errors.As(err, &se) || se.Part != 1 || se.Parts != 3 {
		t.Fatalf("error %v, want a *SendError for part 2/3", err)
	}
	if len(mrs) != 1 || len(se.MRs) != 1 || len(seen) != 1 || seen[0] != mrs[0] {
		t.Errorf("MRs %v, SendError MRs %v, reported %v: want the first part's alone", mrs, se.MRs, seen)
	}
	if got := len(n.Submitted()); got != 1 {
		t.Errorf("network got %d parts, want 1", got)
	}
}

func countPrefix(ss []string, p string) int {
	c := 0
	for _, s := range ss {
		if strings.HasPrefix(s, p) {
			c++
		}
	}
	return c
}

// trimArgs drops the length argument of AT+CMGS=<len>.
func trimArgs(cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		if strings.HasPrefix(c, "AT+CMGS=") {
			c = "AT+CMGS"
		}
		out[i] = c
	}
	return out
}
