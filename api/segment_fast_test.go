package api

import (
	"math/rand/v2"
	"strings"
	"testing"

	"smsgw/modem/pdu"
)

// TestGSMBasicASCII: the ASCII characters taken as one septet without
// escape are exactly those the encoder counts so.
func TestGSMBasicASCII(t *testing.T) {
	for c := 0; c < 128; c++ {
		n, err := pdu.CountParts(string(rune(c)), pdu.SegmentOptions{Coding: pdu.CodingGSM7})
		basic := err == nil && n.Units == 1 && n.Parts == 1 && n.Locking == 0 && n.Single == 0
		if basic != gsmBasicASCII[c] {
			t.Errorf("%q: the encoder says basic %v, the table %v", rune(c), basic, gsmBasicASCII[c])
		}
	}
}

// TestSegmentFastAsEncoder: segment answers as the encoder does for texts
// around the one-part shortcut's edges (length 160, characters needing an
// escape, a national table or UCS-2), in every encoding asked for.
func TestSegmentFastAsEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "0", " ", "\n", "\r", "@", "$", "_", "!", "?", "`", "[", "]", "{", "}", "~", "^", "|", "\\", "€",
		"é", "ç", "ı", "😀", "\x00", "\x7f", "\t", "\x0c"}
	fast := 0
	for range 20000 {
		n := r.IntN(175)
		if r.IntN(3) == 0 {
			n = 158 + r.IntN(4)
		}
		var b strings.Builder
		for range n {
			if r.IntN(40) == 0 {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			} else {
				b.WriteString(alphabet[r.IntN(9)])
			}
		}
		text := b.String()
		for _, enc := range []string{"", EncodingAuto, EncodingGSM7, EncodingUCS2, "x"} {
			gp, gc, gerr := segment(text, enc)
			wp, wc, werr := segmentText(text, enc)
			if gp != wp || gc != wc || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("%q %q: got %d %s %v, want %d %s %v", text, enc, gp, gc, gerr, wp, wc, werr)
			}
			if oneBasicPart(text) {
				fast++
			}
		}
	}
	if fast < 10000 {
		t.Errorf("only %d texts took the shortcut", fast)
	}
}
