package at_test

import (
	"context"
	"testing"

	"smsgw/modem/at"
	"smsgw/modem/at/attest"
)

// BenchmarkExec measures one command round trip through the engine over the
// in-memory fake (the engine's own cost: write, split, classify, wake).
func BenchmarkExec(b *testing.B) {
	m := attest.New()
	m.On("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	e := at.New(m, at.Config{Logger: quiet()})
	defer e.Close(context.Background())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Exec(ctx, "AT+CSQ"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendPart measures one AT+CMGS exchange with prompt and payload.
func BenchmarkSendPart(b *testing.B) {
	const pdu = "0011000B915121551532F40000AA0CC8F71D14969741F977FD07"
	m := attest.New()
	m.On("AT+CMGS=*", "\r\n> ")
	m.On(pdu, "\r\n+CMGS: 17\r\n\r\nOK\r\n")
	e := at.New(m, at.Config{Logger: quiet()})
	defer e.Close(context.Background())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Do(ctx, at.Cmd{Line: "AT+CMGS=25", Payload: pdu}); err != nil {
			b.Fatal(err)
		}
	}
}
