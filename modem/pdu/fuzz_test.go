package pdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeeds are real PDUs (see TestRealVectors for their sources) with
// the SMSC field.
var fuzzSeeds = []string{
	"07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
	"0011000B916407281553F80000AA0AE8329BFD4697D9EC37",
	"06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
	"07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701",
	"0006D60B911326880736F4111011719551401110117195714000",
	"0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
	"07914346466554F601000B914316565811F9000806304253F68449",
	"0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421",
	"0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301",
	"0297F1061C0F910B487228297020F5317062419272803170624192138000",
	"079124602009999002AB098106845688F8907080517375809070805183018000FFFFFFFF",
	"06914977000030200B914977745010F700FB918050809053221DB15CEC868BC9663018080402816432DD0C060281A4412A159904",
	"00040ED04F78591EA6BFE50010626021710251800AE8329BFD4697D9EC37",
	"0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287C56F79BD0D",
}

// checkStable: whatever decodes re-encodes without error, and the
// re-encoded form is a fixed point (decode(encode(m)) encodes the same).
func checkStable(t *testing.T, m Message) {
	t.Helper()
	_, _ = contentOf(m)
	e1, n1, err := Encode(m)
	if err != nil {
		t.Fatalf("re-encoding a decoded %v: %v", m.Type(), err)
	}
	m2, err := Decode(e1)
	if err != nil {
		t.Fatalf("decoding our own encoding %X: %v", e1, err)
	}
	e2, n2, err := Encode(m2)
	if err != nil || !bytes.Equal(e1, e2) || n1 != n2 {
		t.Fatalf("not stable:\n%X\n%X (%v)", e1, e2, err)
	}
}

func contentOf(m Message) (Content, error) {
	switch v := m.(type) {
	case *Submit:
		return v.Content()
	case *Deliver:
		return v.Content()
	case *StatusReport:
		return v.Content()
	}
	return Content{}, nil
}

func checkDecodeError(t *testing.T, err error, n int) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error is not a *DecodeError: %v", err)
	}
	if de.Field == "" || de.Offset < 0 || de.Offset > n {
		t.Fatalf("bad error position: %+v (input %d octets)", de, n)
	}
}

// lenientSeeds are the odd PDUs of lenientVectors, read with defects.
func lenientSeeds() []string {
	out := make([]string, len(lenientVectors))
	for i, v := range lenientVectors {
		out[i] = v.hex
	}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, s := range append(lenientSeeds(), fuzzSeeds...) {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			checkDecodeError(t, err, len(b))
			return
		}
		checkStable(t, m)
	})
}

func FuzzDecodeTPDU(f *testing.F) {
	for _, s := range append(lenientSeeds(), fuzzSeeds...) {
		b, _ := hex.DecodeString(s)
		f.Add(b[int(b[0])+1:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeTPDU(b)
		if err != nil {
			checkDecodeError(t, err, len(b))
			return
		}
		checkStable(t, m)
	})
}

func FuzzDecodeHex(f *testing.F) {
	for _, s := range append(lenientSeeds(), fuzzSeeds...) {
		f.Add(s)
		f.Add(strings.ToLower(s[:len(s)/2]))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := DecodeHex(s); err != nil {
			checkDecodeError(t, err, len(s))
		}
	})
}

func FuzzParseUDH(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x01})
	f.Add([]byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01})
	f.Add([]byte{0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0xAA})
	f.Add([]byte{0x03, 0x24, 0x01, 0x01})
	f.Add([]byte{0x05, 0x00, 0x04, 0x01, 0x02, 0x01, 0x00, 0x41}) // element runs past the header
	f.Add([]byte{0x04, 0x00, 0x01, 0x01, 0x08})                   // stray last octet
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseUDH(b)
		if err != nil {
			checkDecodeError(t, err, len(b))
			return
		}
		enc, err := h.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(h) > 0 && !bytes.Equal(enc, b[:n]) {
			t.Fatalf("header % X re-encodes as % X", b[:n], enc)
		}
		h.Concat()
		h.Ports()
		h.Languages()
	})
}

func FuzzGSM7(f *testing.F) {
	f.Add([]byte("hello"), 5, byte(0))
	f.Add([]byte{0x1B, 0x65, 0x1B, 0x1B, 0x1B}, 4, byte(0x11))
	f.Fuzz(func(t *testing.T, b []byte, n int, langs byte) {
		cs := charsetFor(Language(langs&3), Language(langs>>2&3))
		text := cs.decode(b)
		sept, err := cs.encode(text)
		if err != nil {
			t.Fatalf("decoded text %q does not re-encode: %v", text, err)
		}
		if again := cs.decode(sept); again != text {
			t.Fatalf("%q -> %q", text, again)
		}
		if n >= 0 && n < 1000 {
			if un, err := Unpack7(b, n); err == nil && len(un) != n {
				t.Fatalf("unpacked %d of %d", len(un), n)
			}
		}
		if un, _ := Unpack7(Pack7(sept), len(sept)); !bytes.Equal(un, sept) {
			t.Fatalf("pack/unpack changed % X", sept)
		}
	})
}

// FuzzSegment: any text, any options, segments that joined decode to the
// text (a CR doubled at an octet boundary is the one allowed change).
func FuzzSegment(f *testing.F) {
	f.Add("hello", byte(0), uint16(0))
	f.Add(strings.Repeat("€", 100), byte(1), uint16(300))
	f.Add("Şeker ğü "+strings.Repeat("😀", 40), byte(4), uint16(7))
	f.Add("abcdefg\r", byte(0), uint16(0))
	f.Fuzz(func(t *testing.T, text string, flags byte, ref uint16) {
		if len(text) > 2000 {
			return
		}
		opt := SegmentOptions{Ref: ref, Ref16: flags&1 != 0, Flash: flags&2 != 0}
		if flags&4 != 0 {
			opt.Languages = []Language{LanguageTurkish, LanguageSpanish, LanguagePortuguese}
		}
		switch flags >> 4 & 3 {
		case 1:
			opt.Coding = CodingUCS2
		case 2:
			opt.Coding = Coding8Bit
		case 3:
			opt.Coding = CodingGSM7
		}
		segs, err := SegmentText(text, opt)
		if err != nil {
			if errors.Is(err, ErrNotEncodable) && opt.Coding == CodingGSM7 {
				return
			}
			if errors.Is(err, ErrTooLong) {
				return
			}
			t.Fatalf("segment %q: %v", text, err)
		}
		var ms []Message
		for _, s := range segs {
			d := &Deliver{From: Address{TON: TONInternational, NPI: NPIISDN, Number: "49"}, DCS: s.DCS, UD: s.UD, SCTS: time.Unix(0, 0).UTC()}
			b, _, err := Encode(d)
			if err != nil {
				t.Fatalf("encode part: %v", err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatalf("decode part: %v", err)
			}
			ms = append(ms, m)
		}
		got, err := JoinContent(ms)
		if err != nil {
			t.Fatal(err)
		}
		if opt.Coding == Coding8Bit {
			if string(got.Data) != text {
				t.Fatalf("8-bit data changed")
			}
			return
		}
		want := text
		if !utf8.ValidString(want) {
			want = string([]rune(want))
		}
		if got.Text != want && !(strings.HasSuffix(want, "\r") && got.Text == want+"\r") {
			t.Fatalf("joined\n%q\nwant\n%q", got.Text, want)
		}
	})
}

// FuzzJoiner drives the joiner with parts from a few senders and
// references, duplicated and out of order, and a moving clock.
func FuzzJoiner(f *testing.F) {
	f.Add([]byte{0x01, 0x03, 0x01, 0x01, 0x03, 0x03, 0x01, 0x03, 0x02})
	f.Add([]byte{0x10, 0x02, 0x02, 0x90, 0x02, 0x01, 0xFF, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, ops []byte) {
		now := time.Unix(0, 0)
		j := &Joiner{Timeout: 10 * time.Second, Now: func() time.Time { return now }}
		held := 0
		for i := 0; i+2 < len(ops); i += 3 {
			if ops[i] == 0xFF {
				now = now.Add(time.Duration(ops[i+1]) * time.Second)
				for _, inc := range j.Expire() {
					held -= len(inc.Parts)
					if len(inc.Parts) == 0 || len(inc.Parts) >= inc.Key.Total {
						t.Fatalf("incomplete set with %d of %d parts", len(inc.Parts), inc.Key.Total)
					}
				}
				continue
			}
			total := int(ops[i+1]%5) + 1
			seq := int(ops[i+2] % 7) // 0 and > total are invalid IEs: passed through as single
			ud, _ := NewUserData(CodingGSM7, UDH{ConcatIE(uint16(ops[i]&0x0F), total, seq, ops[i]&0x40 != 0)}, []byte{byte(seq)})
			m := &Deliver{From: Address{TON: TONInternational, NPI: NPIISDN, Number: []string{"1", "2"}[ops[i]>>7]}, UD: ud}
			got := j.Add(m)
			c, ok := ConcatOf(m)
			switch {
			case !ok || c.Total == 1:
				if len(got) != 1 || got[0] != m {
					t.Fatal("single part not passed through")
				}
			case got != nil:
				if len(got) != total {
					t.Fatalf("set of %d, want %d", len(got), total)
				}
				for k, p := range got {
					pc, _ := ConcatOf(p)
					if pc.Seq != k+1 || pc.Ref != c.Ref || pc.RefBits != c.RefBits {
						t.Fatalf("part %d: %+v", k, pc)
					}
				}
				held -= total - 1
				if _, err := JoinContent(got); err != nil {
					t.Fatal(err)
				}
			}
			if ok && c.Total > 1 && got == nil {
				held++
			}
		}
		if held < 0 || j.Pending() > held {
			t.Fatalf("held %d, pending %d", held, j.Pending())
		}
	})
}

// FuzzJoinPDUs: any set of TPDUs either fails with an error or joins.
func FuzzJoinPDUs(f *testing.F) {
	parts, _ := EncodeSubmit("+4911", strings.Repeat("ж😀{", 40), SubmitOptions{})
	var seed []byte
	for _, p := range parts {
		tp, _ := EncodeTPDU(p.Submit)
		seed = append(seed, byte(len(tp)))
		seed = append(seed, tp...)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		// Length-prefixed TPDUs.
		var pdus [][]byte
		for len(b) > 0 {
			n := int(b[0])
			b = b[1:]
			if n > len(b) {
				n = len(b)
			}
			pdus = append(pdus, b[:n])
			b = b[n:]
		}
		if len(pdus) == 0 {
			return
		}
		_, _ = JoinPDUs(pdus, false)
	})
}
