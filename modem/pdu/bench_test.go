package pdu

import (
	"strings"
	"testing"
)

func BenchmarkEncodeSubmitShortGSM7(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSubmit("+491711234567", "Your code is 123456. It expires in 10 minutes.", SubmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSubmitLongGSM7(b *testing.B) {
	text := strings.Repeat("Alert: disk {sda} at 91% [warn] ", 30) // ~960 septets, 7 parts
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSubmit("+491711234567", text, SubmitOptions{SegmentOptions: SegmentOptions{Ref: 42}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSubmitUCS2Emoji(b *testing.B) {
	text := strings.Repeat("Привет 😀 ", 30) // 3 parts of UCS-2
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSubmit("+491711234567", text, SubmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountParts(b *testing.B) {
	text := strings.Repeat("Alert: disk {sda} at 91% [warn] ", 30)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CountParts(text, SegmentOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDeliver(b *testing.B) {
	pdu := mustHex(b, "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E")
	b.ReportAllocs()
	for b.Loop() {
		m, err := Decode(pdu)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.(*Deliver).Content(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStatusReport(b *testing.B) {
	pdu := mustHex(b, "0006D60B911326880736F4111011719551401110117195714000")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(pdu); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJoinPDUs(b *testing.B) {
	parts, err := EncodeSubmit("+491711234567", strings.Repeat("Привет 😀 ", 30), SubmitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var raw [][]byte
	for _, p := range parts {
		raw = append(raw, p.PDU)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JoinPDUs(raw, true); err != nil {
			b.Fatal(err)
		}
	}
}
