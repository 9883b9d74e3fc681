package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/modem/pdu"
	"smsgw/modem/pool"
	"smsgw/modem/sim"
)

// Sweeps and health probes never queue behind a command that holds the
// port: with a send waiting for an answer that does not come, each fails
// at once with at.ErrBusy instead of waiting out the send's timeout; once
// the port is free they work again.
func TestPeriodicReadsSkipBusyPort(t *testing.T) {
	n := sim.NewNetwork(sim.NetworkOptions{})
	defer n.Close(context.Background())
	sm, err := n.AddModem(context.Background(), sim.Options{Dir: t.TempDir(), Name: "sim0"})
	if err != nil {
		t.Fatal(err)
	}
	o := &opener{log: testLogger(t), sendTimeout: time.Minute, promptTimeout: 5 * time.Second, periodicWait: 100 * time.Millisecond,
		traceFor: func(string) *modem.ATTrace { return modem.NewATTrace(0) }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pd, err := o.open(ctx, sm.Path(), pool.Spec{ID: "sim0"}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pd.Close(context.Background())
	dev := pd.(Device)

	ps, err := pdu.EncodeSubmit("+15557770300", "held", pdu.SubmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sm.HangOnPDU(0)
	sendCtx, stopSend := context.WithCancel(ctx)
	sendErr := make(chan error, 1)
	go func() {
		_, err := dev.SendPartsFunc(sendCtx, []modem.Part{{Len: ps[0].TPDULen, Hex: ps[0].Hex}}, nil)
		sendErr <- err
	}()
	for deadline := time.Now().Add(20 * time.Second); !sm.Hung(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the send never reached the modem")
		}
	}
	start := time.Now()
	checks := map[string]func() error{
		"list stored":  func() error { _, err := dev.ListStored(ctx); return err },
		"registration": func() error { _, err := dev.Registration(ctx); return err },
		"signal":       func() error { _, err := dev.Signal(ctx); return err },
		"operator":     func() error { _, err := dev.Operator(ctx); return err },
		"storage":      func() error { _, err := dev.Storage(ctx); return err },
	}
	for name, f := range checks {
		if err := f(); !errors.Is(err, at.ErrBusy) {
			t.Errorf("%s behind a held port: got %v, want at.ErrBusy", name, err)
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the skipped reads took %v", el)
	}
	stopSend()
	var se *modem.SendError
	if err := <-sendErr; !errors.As(err, &se) || !se.OnWire {
		t.Errorf("send cancelled after its PDU: got %v, want a SendError on the wire", err)
	}
	sm.Hang(false)
	if _, err := dev.Registration(ctx); err != nil {
		t.Errorf("registration on a free port: %v", err)
	}
}
