package pdu

import (
	"bytes"
	"errors"
	"testing"
)

func TestSegmentDataSizes(t *testing.T) {
	port := &Ports{Dst: 53739, Src: 53739}
	cases := []struct {
		n     int
		opt   SegmentOptions
		parts int
	}{
		{140, SegmentOptions{}, 1},
		{141, SegmentOptions{}, 2}, // 134 per part with an 8-bit reference
		{268, SegmentOptions{}, 2},
		{269, SegmentOptions{}, 3},
		{133, SegmentOptions{Ports: port}, 1}, // UDHL + IE 0x05: 7 octets
		{134, SegmentOptions{Ports: port}, 2}, // then 128 per part
		{256, SegmentOptions{Ports: port}, 2},
		{257, SegmentOptions{Ports: port}, 3},
		{254, SegmentOptions{Ports: port, Ref16: true}, 2}, // 127 per part
		{255, SegmentOptions{Ports: port, Ref16: true}, 3},
		{140, SegmentOptions{Coding: CodingUCS2}, 1}, // the coding is 8-bit whatever was asked
	}
	for _, c := range cases {
		data := bytes.Repeat([]byte{0xA5}, c.n)
		segs, err := SegmentData(data, c.opt)
		if err != nil {
			t.Fatalf("%d octets %+v: %v", c.n, c.opt, err)
		}
		if len(segs) != c.parts {
			t.Errorf("%d octets %+v: %d parts, want %d", c.n, c.opt, len(segs), c.parts)
		}
		cnt, err := CountData(data, c.opt)
		if err != nil || cnt.Parts != len(segs) || cnt.Coding != Coding8Bit {
			t.Errorf("%d octets: CountData %+v (%v), segments %d", c.n, cnt, err, len(segs))
		}
		var got []byte
		for i, s := range segs {
			if c, _ := s.DCS.Coding(); c != Coding8Bit {
				t.Errorf("part %d: coding %v", i+1, c)
			}
			h, err := s.UD.Header()
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := h.Ports(); (c.opt.Ports != nil) != ok || (ok && (p.Dst != 53739 || p.Bits != 16)) {
				t.Errorf("%d octets part %d: ports %+v %v", c.n, i+1, p, ok)
			}
			if cc, ok := h.Concat(); (len(segs) > 1) != ok || (ok && (cc.Seq != i+1 || cc.Total != len(segs))) {
				t.Errorf("%d octets part %d: concat %+v %v", c.n, i+1, cc, ok)
			}
			if s.UD.Length > 140 {
				t.Errorf("part %d: %d octets of user data", i+1, s.UD.Length)
			}
			ct, err := s.UD.Decode(s.DCS)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ct.Data...)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%d octets: parts carry %d octets back", c.n, len(got))
		}
	}
}

func TestSegmentDataHeaderAndClass(t *testing.T) {
	data := []byte{0, 1, 2, 0xFF}
	// The caller's elements travel byte for byte, after the port.
	own := UDH{{ID: 0x70, Data: []byte{0xAB}}}
	segs, err := SegmentData(data, SegmentOptions{Ports: &Ports{Dst: 2948, Src: 9200}, Header: own, Class: ClassOf(1)})
	if err != nil || len(segs) != 1 {
		t.Fatalf("%v %d", err, len(segs))
	}
	want := []byte{9, 0x05, 4, 0x0B, 0x84, 0x23, 0xF0, 0x70, 1, 0xAB, 0, 1, 2, 0xFF}
	if !bytes.Equal(segs[0].UD.Raw, want) || segs[0].DCS != 0x15 {
		t.Errorf("user data %X DCS %02X, want %X DCS 15", segs[0].UD.Raw, byte(segs[0].DCS), want)
	}
	// A header with its own concatenation element: sent as one part as is.
	cat := UDH{{ID: IEConcat8, Data: []byte{9, 2, 1}}}
	segs, err = SegmentData(bytes.Repeat([]byte{1}, 134), SegmentOptions{Header: cat})
	if err != nil || len(segs) != 1 {
		t.Fatalf("self-cut: %v %d", err, len(segs))
	}
	if c, ok := mustHeader(t, segs[0].UD).Concat(); !ok || c.Ref != 9 || c.Seq != 1 || c.Total != 2 {
		t.Errorf("self-cut concat %+v %v", c, ok)
	}
	if _, err := SegmentData(bytes.Repeat([]byte{1}, 135), SegmentOptions{Header: cat}); !errors.Is(err, ErrTooLong) {
		t.Errorf("self-cut too long: %v", err)
	}
	if _, err := SegmentData(data, SegmentOptions{Ports: &Ports{Dst: 1}, Header: UDH{{ID: IEPorts8, Data: []byte{1, 2}}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("port twice: %v", err)
	}
	if _, err := SegmentData(data, SegmentOptions{Ports: &Ports{Dst: 70000}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("port 70000: %v", err)
	}
	if _, err := SegmentData(nil, SegmentOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no data: %v", err)
	}
	// Classes on text: general data coding with the class bits.
	for n, want := range map[int]DCS{0: 0x10, 1: 0x11, 2: 0x12, 3: 0x13} {
		segs, err := SegmentText("hi", SegmentOptions{Class: ClassOf(n)})
		if err != nil || segs[0].DCS != want {
			t.Errorf("class %d: DCS %02X (%v), want %02X", n, byte(segs[0].DCS), err, byte(want))
		}
		if got, ok := segs[0].DCS.Class(); !ok || got != n {
			t.Errorf("class %d read back as %d %v", n, got, ok)
		}
	}
	if c := ClassOf(4); c != ClassNone {
		t.Errorf("ClassOf(4) = %v", c)
	}
	// PID travels into every part.
	parts, err := EncodeSubmitData("+491234567", bytes.Repeat([]byte{7}, 200), SubmitOptions{PID: 0x7F})
	if err != nil || len(parts) != 2 || parts[0].Submit.PID != 0x7F || parts[1].Submit.PID != 0x7F {
		t.Fatalf("PID: %v %d", err, len(parts))
	}
	m, err := DecodeHex(parts[1].Hex)
	if err != nil || m.(*Submit).PID != 0x7F {
		t.Errorf("PID read back: %v", err)
	}
}

func mustHeader(t *testing.T, u UserData) UDH {
	t.Helper()
	h, err := u.Header()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
