package pdu

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSegmentLimits(t *testing.T) {
	emoji := "😀"
	for _, tc := range []struct {
		name   string
		text   string
		opt    SegmentOptions
		coding Coding
		sizes  []int // characters per part
	}{
		{"160 septets", strings.Repeat("a", 160), SegmentOptions{}, CodingGSM7, []int{160}},
		{"161 septets", strings.Repeat("a", 161), SegmentOptions{}, CodingGSM7, []int{153, 8}},
		{"306 septets", strings.Repeat("a", 306), SegmentOptions{}, CodingGSM7, []int{153, 153}},
		{"307 septets", strings.Repeat("a", 307), SegmentOptions{}, CodingGSM7, []int{153, 153, 1}},
		{"16-bit ref", strings.Repeat("a", 161), SegmentOptions{Ref16: true}, CodingGSM7, []int{152, 9}},
		{"escape pairs count two", strings.Repeat("€", 80), SegmentOptions{}, CodingGSM7, []int{80}},
		{"escape pair never split", strings.Repeat("a", 152) + "€" + strings.Repeat("b", 10), SegmentOptions{}, CodingGSM7, []int{152, 11}},
		{"70 ucs2", strings.Repeat("ж", 70), SegmentOptions{}, CodingUCS2, []int{70}},
		{"71 ucs2", strings.Repeat("ж", 71), SegmentOptions{}, CodingUCS2, []int{67, 4}},
		{"surrogate pair fits single", strings.Repeat("ж", 66) + emoji + "x", SegmentOptions{}, CodingUCS2, []int{68}},
		{"surrogate pair never split", strings.Repeat("ж", 66) + emoji + strings.Repeat("ж", 10), SegmentOptions{}, CodingUCS2, []int{66, 11}},
		{"forced ucs2", "hello", SegmentOptions{Coding: CodingUCS2}, CodingUCS2, []int{5}},
		{"8-bit 140", strings.Repeat("x", 140), SegmentOptions{Coding: Coding8Bit}, Coding8Bit, []int{140}},
		{"8-bit 141", strings.Repeat("x", 141), SegmentOptions{Coding: Coding8Bit}, Coding8Bit, []int{134, 7}},
		{"empty", "", SegmentOptions{}, CodingGSM7, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs, err := SegmentText(tc.text, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			var msgs []Message
			for i, s := range segs {
				sizes = append(sizes, len([]rune(s.Text)))
				c, _ := s.DCS.Coding()
				if c != tc.coding {
					t.Fatalf("part %d coding %v, want %v", i, c, tc.coding)
				}
				if tc.coding == Coding8Bit {
					sizes[i] = len(s.Text)
				}
				msgs = append(msgs, &Deliver{DCS: s.DCS, UD: s.UD})
			}
			if d := cmp.Diff(tc.sizes, sizes); d != "" {
				t.Fatalf("part sizes -want +got\n%s", d)
			}
			got, err := JoinContent(msgs)
			if err != nil {
				t.Fatal(err)
			}
			if tc.coding == Coding8Bit {
				got.Text = string(got.Data)
			}
			if got.Text != tc.text {
				t.Fatalf("joined %q", got.Text)
			}
			// Every part decodes on its own too: nothing was split.
			for i, m := range msgs {
				c, err := m.(*Deliver).Content()
				if err != nil || (tc.coding != Coding8Bit && c.Text != segs[i].Text) {
					t.Fatalf("part %d alone: %q %v", i, c.Text, err)
				}
			}
			cnt, err := CountParts(tc.text, tc.opt)
			if err != nil || cnt.Parts != len(tc.sizes) || cnt.Coding != tc.coding {
				t.Fatalf("count %+v %v", cnt, err)
			}
		})
	}
}

func TestCountParts(t *testing.T) {
	for _, tc := range []struct {
		text string
		opt  SegmentOptions
		want Count
	}{
		{"hello", SegmentOptions{}, Count{Parts: 1, Coding: CodingGSM7, Units: 5, PerPart: 160}},
		{strings.Repeat("{", 81), SegmentOptions{}, Count{Parts: 2, Coding: CodingGSM7, Units: 162, PerPart: 153}},
		{"привет", SegmentOptions{}, Count{Parts: 1, Coding: CodingUCS2, Units: 6, PerPart: 70}},
		{strings.Repeat("😀", 40), SegmentOptions{}, Count{Parts: 2, Coding: CodingUCS2, Units: 80, PerPart: 67}},
		{"Şeker çok güzel", SegmentOptions{Languages: []Language{LanguageTurkish}}, Count{Parts: 1, Coding: CodingGSM7, Locking: LanguageTurkish, Units: 15, PerPart: 155}},
		{"¿Cómo?", SegmentOptions{Languages: []Language{LanguageSpanish}}, Count{Parts: 1, Coding: CodingGSM7, Single: LanguageSpanish, Units: 7, PerPart: 155}},
	} {
		got, err := CountParts(tc.text, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q: -want +got\n%s", tc.text, d)
		}
	}
	if _, err := CountParts("Привет", SegmentOptions{Coding: CodingGSM7}); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("forced gsm7 of Cyrillic: %v", err)
	}
	if _, err := SegmentText(strings.Repeat("a", 153*255+1), SegmentOptions{}); !errors.Is(err, ErrTooLong) {
		t.Fatalf("256 parts: %v", err)
	}
	if c, err := CountParts(strings.Repeat("a", 153*255), SegmentOptions{}); err != nil || c.Parts != 255 {
		t.Fatalf("255 parts: %+v %v", c, err)
	}
}

// TS 23.038 clause 6.1.2.1.1: seven spare bits are filled with CR; a CR
// ending the text on an octet boundary is doubled.
func TestTrailingCR(t *testing.T) {
	segs, err := SegmentText("abcdefg", SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ud := segs[0].UD
	if ud.Length != 7 || len(ud.Raw) != 7 || ud.Raw[6]>>1 != '\r' {
		t.Fatalf("padding: %+v", ud)
	}
	segs, _ = SegmentText("abcdefg\r", SegmentOptions{})
	if segs[0].UD.Length != 9 {
		t.Fatalf("CR on octet boundary not doubled: %+v", segs[0].UD)
	}
	c, _ := segs[0].UD.Decode(segs[0].DCS)
	if c.Text != "abcdefg\r\r" {
		t.Fatalf("decoded %q", c.Text)
	}
	// 159 characters and a CR: doubling would need 161 septets, so the
	// text goes out in two parts and the CR needs no doubling there.
	text := strings.Repeat("a", 159) + "\r"
	segs, _ = SegmentText(text, SegmentOptions{})
	if len(segs) != 2 {
		t.Fatalf("%d parts", len(segs))
	}
	var ms []Message
	for _, s := range segs {
		ms = append(ms, &Deliver{DCS: s.DCS, UD: s.UD})
	}
	if got, _ := JoinContent(ms); got.Text != text {
		t.Fatalf("joined %q", got.Text)
	}
	// Multi-part: 153 characters ending in CR fill a part (160 septets with
	// the header); the doubled CR opens the next part.
	text = strings.Repeat("b", 152+153) + "\r"
	segs, _ = SegmentText(text, SegmentOptions{})
	if n := len(segs); n != 3 || segs[2].Text != "\r" || segs[2].UD.Length != 9 {
		t.Fatalf("%d parts, last %q %+v", n, segs[n-1].Text, segs[n-1].UD)
	}
}

func TestNationalLanguageShift(t *testing.T) {
	for _, tc := range []struct {
		name         string
		text         string
		lang         Language
		lock, single Language
	}{
		{"turkish", "Şu ığdır: Ğğ İı Şş çÇ €", LanguageTurkish, LanguageTurkish, 0},
		{"turkish locking only", "İyi günler", LanguageTurkish, LanguageTurkish, 0},
		{"spanish", "¿Qué tal? Él está aquí, Ángel. ç", LanguageSpanish, 0, LanguageSpanish},
		{"portuguese", "Não há ação sem razão: você, avô, ª º ∞", LanguagePortuguese, LanguagePortuguese, 0},
		{"portuguese both tables", "1ª classe: Φ e Ω, ação", LanguagePortuguese, LanguagePortuguese, LanguagePortuguese},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if IsGSM7(tc.text) {
				t.Fatal("text fits the default alphabet; test is void")
			}
			plain, _ := CountParts(tc.text, SegmentOptions{})
			if plain.Coding != CodingUCS2 {
				t.Fatalf("without opt-in: %v", plain.Coding)
			}
			opt := SegmentOptions{Languages: []Language{tc.lang}}
			segs, err := SegmentText(tc.text, opt)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := segs[0].UD.Header()
			lock, single := h.Languages()
			if c, _ := segs[0].DCS.Coding(); c != CodingGSM7 || lock != tc.lock || single != tc.single {
				t.Fatalf("coding %v lock %v single %v", c, lock, single)
			}
			c, err := segs[0].UD.Decode(segs[0].DCS)
			if err != nil || c.Text != tc.text {
				t.Fatalf("decoded %q %v", c.Text, err)
			}
		})
	}
	// A long Turkish text: the shift IEs cost header room, and multipart
	// output still joins.
	long := strings.Repeat("Işık ğüşç ", 40)
	segs, err := SegmentText(long, SegmentOptions{Languages: []Language{LanguageTurkish}, Ref: 9})
	if err != nil {
		t.Fatal(err)
	}
	var ms []Message
	for _, s := range segs {
		ms = append(ms, &Deliver{DCS: s.DCS, UD: s.UD})
		if s.UD.Length > 160 {
			t.Fatalf("part of %d septets", s.UD.Length)
		}
	}
	if got, _ := JoinContent(ms); got.Text != long {
		t.Fatalf("joined %q", got.Text)
	}
	if u, _ := CountParts(long, SegmentOptions{}); u.Parts <= len(segs) {
		t.Fatalf("shift tables did not save parts: %d vs UCS-2 %d", len(segs), u.Parts)
	}
}

// A sloppy sender splits an escape pair or a surrogate pair across parts;
// decoding the joined payload still gives the character.
func TestJoinSplitCharacters(t *testing.T) {
	mk := func(c Coding, seq int, payload []byte) Message {
		ud, err := NewUserData(c, UDH{ConcatIE(5, 2, seq, false)}, payload)
		if err != nil {
			t.Fatal(err)
		}
		return &Deliver{From: Address{TON: TONInternational, NPI: NPIISDN, Number: "4911"}, DCS: NewDCS(c, -1), UD: ud}
	}
	sept, _ := EncodeGSM7("ab€cd")
	p1, p2 := mk(CodingGSM7, 1, sept[:3]), mk(CodingGSM7, 2, sept[3:]) // ESC | 0x65
	if got, err := JoinContent([]Message{p2, p1}); err != nil || got.Text != "ab€cd" {
		t.Fatalf("escape pair: %q %v", got.Text, err)
	}
	alone, _ := p1.(*Deliver).Content()
	if alone.Text != "ab" {
		t.Fatalf("part 1 alone %q", alone.Text)
	}
	u := EncodeUCS2("x😀y")
	p1, p2 = mk(CodingUCS2, 1, u[:4]), mk(CodingUCS2, 2, u[4:])
	if got, err := JoinContent([]Message{p1, p2}); err != nil || got.Text != "x😀y" {
		t.Fatalf("surrogate pair: %q %v", got.Text, err)
	}
	alone, _ = p1.(*Deliver).Content()
	if alone.Text != "x\uFFFD" {
		t.Fatalf("part 1 alone %q", alone.Text)
	}
	var raw [][]byte
	for _, m := range []Message{p2, p1} {
		b, _, _ := Encode(m)
		raw = append(raw, b)
	}
	if got, err := JoinPDUs(raw, true); err != nil || got.Text != "x😀y" {
		t.Fatalf("JoinPDUs: %q %v", got.Text, err)
	}
}

func TestJoiner(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	j := &Joiner{Timeout: time.Hour, Now: func() time.Time { return now }}
	text := strings.Repeat("0123456789", 40)
	deliver := func(from string, ref uint16, ref16 bool) []Message {
		segs, err := SegmentText(text, SegmentOptions{Ref: ref, Ref16: ref16})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := ParseAddress(from)
		var out []Message
		for _, s := range segs {
			out = append(out, &Deliver{From: a, DCS: s.DCS, UD: s.UD})
		}
		return out
	}
	a := deliver("+4911", 7, false)
	b := deliver("+4922", 7, false) // same reference, other sender
	c := deliver("+4911", 7, true)  // same number, 16-bit reference
	if len(a) != 3 {
		t.Fatalf("%d parts", len(a))
	}
	for _, step := range []struct {
		m    Message
		done bool
	}{
		{a[2], false}, {b[1], false}, {a[2], false}, {c[0], false}, {a[0], false}, {b[0], false},
		{a[0], false}, // duplicate
		{a[1], true},
	} {
		got := j.Add(step.m)
		if (got != nil) != step.done {
			t.Fatalf("Add: complete=%v, want %v", got != nil, step.done)
		}
		if got != nil {
			if len(got) != 3 || got[0] != a[0] || got[1] != a[1] || got[2] != a[2] {
				t.Fatalf("set out of order")
			}
			if content, _ := JoinContent(got); content.Text != text {
				t.Fatalf("joined %q", content.Text)
			}
		}
	}
	if j.Pending() != 2 {
		t.Fatalf("pending %d", j.Pending())
	}
	// A late copy of a part of the completed set opens no new set...
	if got := j.Add(a[1]); got != nil || j.Pending() != 2 {
		t.Fatalf("late duplicate: %v, pending %d", got, j.Pending())
	}
	// ...but a new message reusing sender and reference does.
	other := deliver("+4911", 7, false)
	other[0].(*Deliver).UD.Raw[len(other[0].(*Deliver).UD.Raw)-1] ^= 0x01
	if got := j.Add(other[0]); got != nil || j.Pending() != 3 {
		t.Fatalf("reused reference: pending %d", j.Pending())
	}
	single := &Deliver{DCS: 0, UD: UserData{Length: 1, Raw: []byte{0x41}}}
	if got := j.Add(single); len(got) != 1 || got[0] != single {
		t.Fatalf("single message not passed through")
	}
	now = now.Add(59 * time.Minute)
	if exp := j.Expire(); len(exp) != 0 {
		t.Fatalf("expired early: %+v", exp)
	}
	now = now.Add(2 * time.Minute)
	exp := j.Expire()
	if len(exp) != 3 || j.Pending() != 0 {
		t.Fatalf("expired %d, pending %d", len(exp), j.Pending())
	}
	for _, e := range exp {
		switch e.Key.Peer {
		case "+4922":
			if len(e.Parts) != 2 || e.Parts[0] != b[0] || e.Key.RefBits != 8 || e.Key.Total != 3 {
				t.Fatalf("b: %+v", e)
			}
		case "+4911":
			if len(e.Parts) != 1 || (e.Key.RefBits != 16 && e.Parts[0] != other[0]) {
				t.Fatalf("c: %+v", e)
			}
		default:
			t.Fatalf("unexpected set %+v", e.Key)
		}
	}
}

func TestDCS(t *testing.T) {
	for _, tc := range []struct {
		dcs        DCS
		coding     Coding
		class      int
		compressed bool
		mwi        bool
	}{
		{0x00, CodingGSM7, -1, false, false},
		{0x04, Coding8Bit, -1, false, false},
		{0x08, CodingUCS2, -1, false, false},
		{0x0C, CodingGSM7, -1, false, false}, // reserved alphabet reads as GSM 7-bit
		{0x10, CodingGSM7, 0, false, false},
		{0x18, CodingUCS2, 0, false, false},
		{0x16, Coding8Bit, 2, false, false},
		{0x11, CodingGSM7, 1, false, false},
		{0x13, CodingGSM7, 3, false, false},
		{0x20, 0, -1, true, false},
		{0x48, CodingUCS2, -1, false, false}, // automatic deletion group
		{0x80, CodingGSM7, -1, false, false}, // reserved group
		{0xC0, CodingGSM7, -1, false, true},
		{0xD8, CodingGSM7, -1, false, true},
		{0xE9, CodingUCS2, -1, false, true},
		{0xF0, CodingGSM7, 0, false, false},
		{0xF5, Coding8Bit, 1, false, false},
	} {
		c, err := tc.dcs.Coding()
		if tc.compressed {
			if !errors.Is(err, ErrCompressed) || !tc.dcs.Compressed() {
				t.Errorf("DCS %02X: want compressed error, got %v", byte(tc.dcs), err)
			}
			continue
		}
		cl, ok := tc.dcs.Class()
		if !ok {
			cl = -1
		}
		_, mwi := tc.dcs.MessageWaiting()
		if err != nil || c != tc.coding || cl != tc.class || mwi != tc.mwi {
			t.Errorf("DCS %02X: coding %v class %d mwi %v err %v", byte(tc.dcs), c, cl, mwi, err)
		}
	}
	if m, _ := DCS(0xD9).MessageWaiting(); !m.Store || !m.Active || m.Kind != 1 {
		t.Fatalf("MWI D9: %+v", m)
	}
	if NewDCS(CodingUCS2, 0) != 0x18 || NewDCS(CodingGSM7, -1) != 0 || NewDCS(Coding8Bit, 1) != 0x15 {
		t.Fatal("NewDCS")
	}
}

func TestValidity(t *testing.T) {
	// python-gsmmodem TestRelativeValidityPeriod, TS 23.040 9.2.3.12.1.
	for _, tc := range []struct {
		d time.Duration
		v byte
	}{
		{30 * time.Minute, 5}, {16 * time.Hour, 151}, {3 * 24 * time.Hour, 169}, {5 * 7 * 24 * time.Hour, 197},
		{5 * time.Minute, 0}, {12 * time.Hour, 143}, {63 * 7 * 24 * time.Hour, 255}, {1000 * 7 * 24 * time.Hour, 255},
	} {
		if got := relativeOctet(tc.d); got != tc.v {
			t.Errorf("%v: octet %d, want %d", tc.d, got, tc.v)
		}
		if tc.d <= 63*7*24*time.Hour && relativeDuration(tc.v) != tc.d {
			t.Errorf("octet %d: %v, want %v", tc.v, relativeDuration(tc.v), tc.d)
		}
	}
	if got := relativeOctet(7 * time.Minute); relativeDuration(got) != 10*time.Minute {
		t.Errorf("rounding up: %v", relativeDuration(got))
	}
	// Enhanced format (9.2.3.12.3): relative, seconds, hh:mm:ss.
	for _, tc := range []struct {
		e [7]byte
		d time.Duration
	}{
		{[7]byte{0x01, 0xA7}, 24 * time.Hour},
		{[7]byte{0x02, 90}, 90 * time.Second},
		{[7]byte{0x03, 0x21, 0x43, 0x65}, 12*time.Hour + 34*time.Minute + 56*time.Second},
		{[7]byte{0x00}, 0},
	} {
		s := &Submit{To: Address{NPI: NPIISDN, Number: "1"}, Validity: Validity{Format: ValidityEnhanced, Enhanced: tc.e}}
		b, _ := EncodeTPDU(s)
		m, err := DecodeTPDU(b)
		if err != nil {
			t.Fatal(err)
		}
		got := m.(*Submit).Validity
		if got.Format != ValidityEnhanced || got.Enhanced != tc.e || got.Duration != tc.d {
			t.Errorf("enhanced % X: %+v", tc.e, got)
		}
	}
}

func TestTimestamps(t *testing.T) {
	// python-gsmmodem TestTimestamp; TS 23.040 9.2.3.11.
	for _, tc := range []struct {
		hex string
		t   time.Time
	}{
		{"51117200000000", time.Date(2015, 11, 27, 0, 0, 0, 0, time.FixedZone("", 0))},
		{"51117200000080", time.Date(2015, 11, 27, 0, 0, 0, 0, time.FixedZone("", 2*3600))},
		{"70402132522423", time.Date(2007, 4, 12, 23, 25, 42, 0, time.FixedZone("", 8*3600))},
		{"7040213252242B", time.Date(2007, 4, 12, 23, 25, 42, 0, time.FixedZone("", -8*3600))},
		{"62110111111122", time.Date(2026, 11, 10, 11, 11, 11, 0, time.FixedZone("", 5*3600+30*60))},
	} {
		got, err := decodeTimestamp(mustHex(t, tc.hex))
		if err != nil || !got.Equal(tc.t) || got.Format(time.RFC3339) != tc.t.Format(time.RFC3339) {
			t.Errorf("%s: %v %v", tc.hex, got, err)
		}
		if enc := appendTimestamp(nil, tc.t); !bytes.Equal(enc, mustHex(t, tc.hex)) {
			t.Errorf("%v encodes as % X", tc.t, enc)
		}
	}
	for _, bad := range []string{"5111720000A000", "51137200000000", "511172000000FF"} {
		if _, err := decodeTimestamp(mustHex(t, bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestAddresses(t *testing.T) {
	// python-gsmmodem TestSmsPduAddressFields.
	for _, tc := range []struct {
		hex  string
		want Address
	}{
		{"0A918967452301", Address{TONInternational, NPIISDN, "9876543210"}},
		{"099189674523F1", Address{TONInternational, NPIISDN, "987654321"}},
		{"06D061F118", Address{TONAlphanumeric, NPIUnknown, "abc"}},
		{"0ED04669D0397C26A7", Address{TONAlphanumeric, NPIUnknown, "FRANCOIS"}},
		{"14D0E10D6FE3DBA036A94D19", Address{TONAlphanumeric, NPIUnknown, "a[]{}€"}},
		{"0AA11092997856", Address{TONNational, NPIISDN, "0129998765"}},
		{"048121BA", Address{TONUnknown, NPIISDN, "12*#"}},
		{"00910000", Address{TONInternational, NPIISDN, ""}},
	} {
		b := mustHex(t, tc.hex)
		got, err := readAddress(&reader{b: b}, "TP-OA")
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v", tc.hex, got, err)
			continue
		}
		enc, err := appendAddress(nil, tc.want)
		if tc.want.Number == "" {
			continue
		}
		if err != nil || !bytes.Equal(enc, b) {
			t.Errorf("%+v encodes as % X (%v)", tc.want, enc, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want Address
		err  bool
	}{
		{"+49 171 123-45(67)", Address{TONInternational, NPIISDN, "491711234567"}, false},
		{"0171123", Address{TONUnknown, NPIISDN, "0171123"}, false},
		{"*100#", Address{TONUnknown, NPIISDN, "*100#"}, false},
		{"MyBank", Address{TONAlphanumeric, NPIUnknown, "MyBank"}, false},
		{"+", Address{}, true},
		{"", Address{}, true},
		{"VeryLongSenderName", Address{}, true},
		{"Привет", Address{}, true},
		{"+" + strings.Repeat("1", 21), Address{}, true},
	} {
		got, err := ParseAddress(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseAddress(%q) = %+v, %v", tc.in, got, err)
		}
	}
	if (Address{TON: TONInternational, Number: "1"}).String() != "+1" {
		t.Fatal("String")
	}
}

func TestStatusMeanings(t *testing.T) {
	for _, tc := range []struct {
		s                          Status
		meaning                    string
		delivered, pending, failed bool
	}{
		{0x00, "short message received by the SME", true, false, false},
		{0x02, "short message replaced by the SC", true, false, false},
		{0x15, "transaction completed (SC specific)", true, false, false},
		{0x21, "SME busy (SC still trying)", false, true, false},
		{0x30, "temporary error, SC still trying (SC specific)", false, true, false},
		{0x46, "SM validity period expired", false, false, true},
		{0x4A, "permanent error (reserved)", false, false, true},
		{0x62, "no response from SME (SC stopped trying)", false, false, true},
		{0x80, "reserved (0x80)", false, false, true},
	} {
		if tc.s.Meaning() != tc.meaning || tc.s.Delivered() != tc.delivered || tc.s.Pending() != tc.pending || tc.s.Failed() != tc.failed {
			t.Errorf("status %02X: %q %v %v %v", byte(tc.s), tc.s.Meaning(), tc.s.Delivered(), tc.s.Pending(), tc.s.Failed())
		}
	}
}

// The emulator's path: decode a SUBMIT, copy DCS and user data into a
// DELIVER, encode, decode: the user data is identical to the bit.
func TestSubmitToDeliverCopy(t *testing.T) {
	texts := []string{"hi", strings.Repeat("x{", 100), strings.Repeat("ж😀", 50), "Şeker ğ"}
	for _, text := range texts {
		parts, err := EncodeSubmit("+4911", text, SubmitOptions{SegmentOptions: SegmentOptions{Ref: 300, Ref16: true, Languages: []Language{LanguageTurkish}}})
		if err != nil {
			t.Fatal(err)
		}
		var delivered []Message
		for _, p := range parts {
			m, err := Decode(p.PDU)
			if err != nil {
				t.Fatal(err)
			}
			s := m.(*Submit)
			d := &Deliver{SMSC: Address{TON: TONInternational, NPI: NPIISDN, Number: "4917"}, From: Address{TON: TONInternational, NPI: NPIISDN, Number: "4999"},
				PID: s.PID, DCS: s.DCS, UD: s.UD, SCTS: time.Date(2026, 11, 21, 23, 0, 0, 0, time.FixedZone("", 3600))}
			h, n, err := EncodeHex(d)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeHex(h)
			if err != nil {
				t.Fatal(err)
			}
			if tp, _ := EncodeTPDU(d); n != len(tp) || n != len(h)/2-4 {
				t.Fatalf("TPDU length %d for %s", n, h)
			}
			if d2 := back.(*Deliver); d2.DCS != s.DCS || !cmp.Equal(d2.UD, s.UD) || !d2.SCTS.Equal(d.SCTS) {
				t.Fatalf("user data changed: %+v vs %+v", d2.UD, s.UD)
			}
			delivered = append(delivered, back)
		}
		got, err := JoinContent(delivered)
		if err != nil || got.Text != text {
			t.Fatalf("joined %q %v", got.Text, err)
		}
	}
}

func TestStatusReportEncode(t *testing.T) {
	scts := time.Date(2026, 11, 21, 23, 0, 0, 0, time.FixedZone("", -3*3600))
	sr := &StatusReport{
		SMSC: Address{TON: TONInternational, NPI: NPIISDN, Number: "4917"}, MR: 200, Qualifier: false,
		Recipient: Address{TON: TONInternational, NPI: NPIISDN, Number: "4915112345678"},
		SCTS:      scts, DischargeTime: scts.Add(3 * time.Second), Status: 0x21,
	}
	b, n, err := Encode(sr)
	if err != nil {
		t.Fatal(err)
	}
	if tp, _ := EncodeTPDU(sr); n != len(tp) || n != len(b)-4 {
		t.Fatalf("length %d of %d", n, len(b))
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sr, m.(*StatusReport), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Fatalf("-want +got\n%s", d)
	}
	// With the optional parameters (PI): PID, DCS and a UCS-2 text.
	ud, _ := NewUserData(CodingUCS2, nil, EncodeUCS2("ok ✓"))
	sr.PI, sr.PID, sr.DCS, sr.UD = 0x07, 0x00, NewDCS(CodingUCS2, -1), ud
	b, _, _ = Encode(sr)
	m, err = Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := m.(*StatusReport).Content(); c.Text != "ok ✓" {
		t.Fatalf("report text %q", c.Text)
	}
}

func TestUnknownIEsPreserved(t *testing.T) {
	h := UDH{{ID: 0x70, Data: []byte{1, 2, 3}}, ConcatIE(0x1234, 3, 2, true), {ID: IEPorts16, Data: []byte{0x0B, 0x84, 0x23, 0xF0}}, {ID: 0x0A, Data: nil}}
	ud, err := NewUserData(CodingGSM7, h, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Deliver{From: Address{NPI: NPIISDN, Number: "1"}, UD: ud}
	b, _ := EncodeTPDU(d)
	m, err := DecodeTPDU(b)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.(*Deliver).UD.Header()
	if d := cmp.Diff(h, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); d != "" {
		t.Fatalf("-want +got\n%s", d)
	}
	if p, ok := got.Ports(); !ok || p.Dst != 2948 || p.Src != 9200 || p.Bits != 16 {
		t.Fatalf("ports %+v", p)
	}
	if c, ok := got.Concat(); !ok || c.Ref != 0x1234 || c.Seq != 2 || c.Total != 3 || c.RefBits != 16 {
		t.Fatalf("concat %+v", c)
	}
	if c, _ := m.(*Deliver).Content(); c.Text != "hello" {
		t.Fatalf("text after a 17-octet header: %q", c.Text)
	}
	if p, ok := (UDH{{ID: IEPorts8, Data: []byte{100, 50}}}).Ports(); !ok || p.Dst != 100 || p.Src != 50 {
		t.Fatalf("8-bit ports %+v", p)
	}
	// Sequence 0 or beyond the total is no concatenation (9.2.3.24.1).
	if _, ok := (UDH{{ID: IEConcat8, Data: []byte{1, 2, 3}}}).Concat(); ok {
		t.Fatal("seq > total accepted")
	}
}

// Every prefix of a valid PDU fails with a DecodeError, never a panic,
// except a prefix cut inside the user data after its header, which decodes
// leniently with a TP-UD defect.
func TestTruncation(t *testing.T) {
	inputs := []string{
		"07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
		"0006D60B911326880736F4111011719551401110117195714000",
		"0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287C56F79BD0D",
		"0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
	}
	for _, in := range inputs {
		b := mustHex(t, in)
		for n := 0; n < len(b); n++ {
			m, err := Decode(b[:n])
			if err == nil {
				d := defectsOf(m)
				if len(d) == 0 || !strings.HasPrefix(d[len(d)-1], "TP-UD: ") {
					t.Fatalf("%s[:%d] decoded without a TP-UD defect: %q", in[:20], n, d)
				}
				continue
			}
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) {
				t.Fatalf("%s[:%d]: %v", in[:20], n, err)
			}
			if de.Offset > n {
				t.Fatalf("offset %d beyond input %d", de.Offset, n)
			}
		}
	}
}

func TestPackSeptets(t *testing.T) {
	// python-gsmmodem TestGsm7: text, packed.
	for _, tc := range []struct{ text, packed string }{
		{"123", "31D90C"},
		{"12345678", "31D98C56B3DD70"},
		{"Hello World!", "C8329BFD065DDF72363904"},
		{"[{abc}]~", "1BDE0615168F37A98D6FD303"},
		{"{åΦΓΛΩΠΨΣΘ€}", "1BD44332A1542C174C6653DEA400"},
	} {
		sept, err := EncodeGSM7(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		packed := Pack7(sept)
		if got := strings.ToUpper(hexString(packed)); got != tc.packed {
			t.Errorf("%q packs as %s, want %s", tc.text, got, tc.packed)
		}
		un, err := Unpack7(packed, len(sept))
		if err != nil || DecodeGSM7(un) != tc.text {
			t.Errorf("%q unpacks as %q %v", tc.text, DecodeGSM7(un), err)
		}
	}
	if _, err := Unpack7([]byte{1}, 3); !errors.Is(err, ErrTruncated) {
		t.Fatal("Unpack7 short input")
	}
	// Escape followed by a septet with no extension character shows the
	// default-table character (TS 23.038 6.2.1.1); a trailing escape is
	// dropped.
	if got := DecodeGSM7([]byte{0x1B, 0x41, 0x42, 0x1B}); got != "AB" {
		t.Fatalf("%q", got)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

// TS 23.040 clause 9.2.3: every first-octet flag survives encode/decode and
// sits on its bit.
func TestFirstOctetFlags(t *testing.T) {
	to := Address{TON: TONInternational, NPI: NPIISDN, Number: "4911"}
	ts := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		m    Message
		fo   byte
	}{
		{"submit plain", &Submit{To: to}, 0x01},
		{"submit RD", &Submit{To: to, RejectDuplicates: true}, 0x05},
		{"submit VPF relative", &Submit{To: to, Validity: RelativeValidity(time.Hour)}, 0x11},
		{"submit VPF absolute", &Submit{To: to, Validity: Validity{Format: ValidityAbsolute, Time: ts}}, 0x19},
		{"submit VPF enhanced", &Submit{To: to, Validity: Validity{Format: ValidityEnhanced, Enhanced: [7]byte{2, 30}, Duration: 30 * time.Second}}, 0x09},
		{"submit SRR", &Submit{To: to, StatusReportRequest: true}, 0x21},
		{"submit UDHI", &Submit{To: to, UD: UserData{HeaderPresent: true, Length: 7, Raw: []byte{5, 0, 3, 1, 2, 1, 0}}}, 0x41},
		{"submit RP", &Submit{To: to, ReplyPath: true}, 0x81},
		{"deliver plain (no more messages)", &Deliver{From: to, SCTS: ts}, 0x04},
		{"deliver MMS", &Deliver{From: to, SCTS: ts, MoreMessagesToSend: true}, 0x00},
		{"deliver LP", &Deliver{From: to, SCTS: ts, LoopPrevention: true}, 0x0C},
		{"deliver SRI", &Deliver{From: to, SCTS: ts, StatusReportIndication: true}, 0x24},
		{"deliver RP", &Deliver{From: to, SCTS: ts, ReplyPath: true}, 0x84},
		{"status report", &StatusReport{Recipient: to, SCTS: ts, DischargeTime: ts}, 0x06},
		{"status report SRQ MMS LP", &StatusReport{Recipient: to, SCTS: ts, DischargeTime: ts, Qualifier: true, MoreMessagesToSend: true, LoopPrevention: true}, 0x2A},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeTPDU(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != tc.fo {
				t.Fatalf("first octet %02X, want %02X", b[0], tc.fo)
			}
			got, err := DecodeTPDU(b)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.m, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
				t.Fatalf("-want +got\n%s", d)
			}
		})
	}
}

func TestDecodeHexForms(t *testing.T) {
	const up = "06917228195339040B917228214365F700003130805120618005D4F29C2E03"
	for _, in := range []string{up, strings.ToLower(up), " " + up + "\r\n"} {
		m, err := DecodeHex(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if c, _ := m.(*Deliver).Content(); c.Text != "Test2" {
			t.Fatalf("%q: %q", in, c.Text)
		}
	}
	_, err := DecodeHex("0011zz")
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "hex" || de.Offset != 2 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad hex: %v", err)
	}
	// Compressed user data decodes structurally; its text is refused.
	m, err := DecodeHexTPDU("0100038121F300200141")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.(*Submit).Content(); !errors.Is(err, ErrCompressed) {
		t.Fatalf("compressed: %v", err)
	}
	// A status report whose TP-PI has the extension bit: the extra PI
	// octet is skipped (TS 23.040 9.2.3.27).
	sr := mustHex(t, "0006D60B911326880736F41110117195514011101171957140008201000141")
	m, err = DecodeTPDU(sr[1:])
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*StatusReport)
	if c, _ := r.Content(); r.PI != 0x02 || c.Text != "" {
		t.Fatalf("PI %02X %+v", r.PI, c)
	}
}
