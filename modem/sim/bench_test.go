package sim

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSubmitRoundTrip measures one AT+CMGS exchange (command, prompt,
// PDU, +CMGS result) through a real pty and go.bug.st/serial, with the
// message routed to a second emulated modem that routes it on with +CMT.
func BenchmarkSubmitRoundTrip(b *testing.B) {
	n := NewNetwork(NetworkOptions{})
	defer n.Close(context.Background())
	dir := b.TempDir()
	a, err := n.AddModem(b.Context(), Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	dst, err := n.AddModem(b.Context(), Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if err := dst.call(func() { dst.st.cnmi = [5]int{2, 2, 0, 0, 0} }); err != nil {
		b.Fatal(err)
	}
	c := openClient(b, a.Path())
	c.cmd("ATE0")
	hx, l := submitPDU(b, dst.Number(), "benchmark message", false)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.send(fmt.Sprintf("AT+CMGS=%d\r", l))
		c.waitFor("> ")
		c.send(hx + "\x1a")
		c.waitFor("OK\r\n")
	}
}

// BenchmarkCommand measures a plain command/response (AT+CSQ) over the pty.
func BenchmarkCommand(b *testing.B) {
	n := NewNetwork(NetworkOptions{})
	defer n.Close(context.Background())
	m, err := n.AddModem(b.Context(), Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	c := openClient(b, m.Path())
	c.cmd("ATE0")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.cmd("AT+CSQ")
	}
}
