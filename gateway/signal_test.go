package gateway

import (
	"context"
	"testing"
	"time"

	"smsgw/modem"
)

func TestSignalHistoryKeepsTheLatestOldestFirst(t *testing.T) {
	var l live
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := 0; i < signalHistoryLen+5; i++ {
		d := -100 + i%40
		s := modem.Signal{DBm: &d}
		if i == signalHistoryLen+4 {
			s.DBm = nil // unknown: kept as a gap
		}
		l.setSignalAt(s, t0.Add(time.Duration(i)*time.Minute))
	}
	h := l.signalHistory()
	if len(h) != signalHistoryLen {
		t.Fatalf("%d samples, want %d", len(h), signalHistoryLen)
	}
	if !h[0].At.Equal(t0.Add(5*time.Minute)) || *h[0].DBm != -95 {
		t.Fatalf("oldest kept: %v %v, want the 6th reading", h[0].At, *h[0].DBm)
	}
	for i := 1; i < len(h); i++ {
		if !h[i].At.After(h[i-1].At) {
			t.Fatalf("sample %d at %v is not after %v", i, h[i].At, h[i-1].At)
		}
	}
	if last := h[len(h)-1]; last.DBm != nil || !last.At.Equal(t0.Add(time.Duration(signalHistoryLen+4)*time.Minute)) {
		t.Fatalf("newest: %+v, want the unknown reading last", last)
	}
}

func TestModemAnswerCarriesTheHealthChecksSignal(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1, health: 50 * time.Millisecond, opTimeout: 5 * time.Second})
	r.waitReady(1)
	r.waitFor("three signal readings", 20*time.Second, func() bool {
		st, err := r.g.Modem(context.Background(), "sim0")
		return err == nil && len(st.SignalHistory) >= 3
	})
	st, _ := r.g.Modem(context.Background(), "sim0")
	last := st.SignalHistory[len(st.SignalHistory)-1]
	if last.DBm == nil || st.SignalDBM == nil || *last.DBm != *st.SignalDBM {
		t.Fatalf("newest sample %+v, signal_dbm %v: want the same reading", last, st.SignalDBM)
	}
	list, err := r.g.Modems(context.Background())
	if err != nil || len(list) != 1 || list[0].SignalHistory != nil {
		t.Fatalf("the list should leave the history out: %+v %v", list, err)
	}
}
