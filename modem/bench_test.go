package modem_test

import (
	"context"
	"testing"

	"smsgw/modem"
	"smsgw/modem/sim"
)

// BenchmarkSendOverPTY sends single-part messages through the whole stack:
// driver, engine, go.bug.st/serial, a real pty and the emulator.
func BenchmarkSendOverPTY(b *testing.B) {
	n := sim.NewNetwork(sim.NetworkOptions{})
	defer n.Close(context.Background())
	a, err := n.AddModem(context.Background(), sim.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	cfg := modem.Config{Logger: quietLog()}
	m, err := modem.Open(context.Background(), a.Path(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	go func() {
		for range m.Events() {
		}
	}()
	parts := []modem.Part{{Len: 25, Hex: "0011000B915121551532F40000AA0CC8F71D14969741F977FD07"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.SendParts(ctx, parts); err != nil {
			b.Fatal(err)
		}
	}
}
