package pdu

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Vectors from "SMS and the PDU format" (Lars Pettersson, dreamfabric.com),
// the example most AT-command documentation repeats.
func TestDreamfabricVectors(t *testing.T) {
	t.Run("submit", func(t *testing.T) {
		const in = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
		m, err := DecodeHex(in)
		if err != nil {
			t.Fatal(err)
		}
		s := m.(*Submit)
		want := &Submit{
			To:       Address{TON: TONInternational, NPI: NPIISDN, Number: "46708251358"},
			Validity: Validity{Format: ValidityRelative, Duration: 4 * 24 * time.Hour},
			UD:       UserData{Length: 10, Raw: mustHex(t, "E8329BFD4697D9EC37")},
		}
		if d := cmp.Diff(want, s); d != "" {
			t.Fatalf("-want +got\n%s", d)
		}
		c, err := s.Content()
		if err != nil || c.Text != "hellohello" {
			t.Fatalf("text %q, %v", c.Text, err)
		}
		out, n, err := EncodeHex(s)
		if err != nil || out != in || n != len(in)/2-1 {
			t.Fatalf("re-encode %s %d %v", out, n, err)
		}
	})
	t.Run("deliver", func(t *testing.T) {
		const in = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
		m, err := DecodeHex(in)
		if err != nil {
			t.Fatal(err)
		}
		d := m.(*Deliver)
		if d.SMSC.String() != "+27381000015" || d.From.Number != "27838890001" || d.From.TON != TONSubscriber || d.From.NPI != NPINational {
			t.Fatalf("addresses %+v %+v", d.SMSC, d.From)
		}
		if got := d.SCTS.Format(time.RFC3339); got != "1999-03-29 15:16:59+02:00"[:10]+"T15:16:59+02:00" {
			t.Fatalf("scts %s", got)
		}
		c, _ := d.Content()
		if c.Text != "hellohello" {
			t.Fatalf("text %q", c.Text)
		}
		out, _, err := EncodeHex(d)
		if err != nil || out != in {
			t.Fatalf("re-encode %s %v", out, err)
		}
	})
}
