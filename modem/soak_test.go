package modem_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"smsgw/modem"
	"smsgw/modem/pdu"
	"smsgw/modem/sim"
)

// TestConcurrentUse drives two noisy modems from several goroutines at once:
// a sender, a health poller on the same modem, and a receiver that reads and
// deletes every message on the other. Every message must arrive intact.
// SMSGW_SOAK=1 runs it long.
func TestConcurrentUse(t *testing.T) {
	count := 20
	if os.Getenv("SMSGW_SOAK") == "1" {
		count = 1000
	}
	n := simNet(t)
	a := simModem(t, n, sim.Options{Profile: "huawei-e173"})
	b := simModem(t, n, sim.Options{Profile: "quectel-ec25"})
	for _, m := range []*sim.Modem{a, b} {
		m.ResponseNoise(true)
		m.StartNoise(3 * time.Millisecond)
		defer m.StopNoise()
	}
	ma := openSim(t, a.Path(), simCfg())
	mb := openSim(t, b.Path(), simCfg())
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(count)*time.Second+simGuard)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	stopPoll := make(chan struct{})
	wg.Add(2)
	go func() { // health poller on the sending modem
		defer wg.Done()
		for {
			select {
			case <-stopPoll:
				return
			default:
			}
			if _, err := ma.Signal(ctx); err != nil {
				errs <- fmt.Errorf("signal: %w", err)
				return
			}
			if _, err := ma.Registration(ctx); err != nil {
				errs <- fmt.Errorf("registration: %w", err)
				return
			}
		}
	}()
	go func() { // sender
		defer wg.Done()
		defer close(stopPoll)
		for i := range count {
			ps, err := pdu.EncodeSubmit(b.Number(), fmt.Sprintf("message %04d", i), pdu.SubmitOptions{})
			if err != nil {
				errs <- err
				return
			}
			if _, err := ma.SendParts(ctx, modem.PartsOf(ps)); err != nil {
				errs <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
	}()

	var got []string
	for len(got) < count {
		var ev modem.Event
		select {
		case ev = <-mb.Events():
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("received %d of %d", len(got), count)
		}
		if ev.Kind != modem.EventMessageStored {
			continue
		}
		st, err := mb.ReadStored(ctx, ev.Index)
		if err != nil {
			t.Fatalf("read %d: %v", ev.Index, err)
		}
		msg, err := pdu.DecodeHex(st.PDU)
		if err != nil {
			t.Fatal(err)
		}
		c, err := pdu.JoinContent([]pdu.Message{msg})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Text)
		if err := mb.DeleteStored(ctx, ev.Index); err != nil {
			t.Fatalf("delete %d: %v", ev.Index, err)
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	sort.Strings(got)
	for i, s := range got {
		if want := fmt.Sprintf("message %04d", i); s != want {
			t.Fatalf("got %q at %d, want %q", s, i, want)
		}
	}
}
