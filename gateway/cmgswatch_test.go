package gateway

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// cmgsWatch is a log handler for an emulated network: it keeps the moment
// each modem read an AT+CMGS= line, and signals every such read, so tests
// see the modem's side of a send rather than the worker's.
type cmgsWatch struct {
	*cmgsLog
	modem string
}

type cmgsLog struct {
	mu  sync.Mutex
	by  map[string][]time.Time
	sig chan struct{} // one token per AT+CMGS= read (dropped when full)
}

func newCMGSWatch() cmgsWatch {
	return cmgsWatch{cmgsLog: &cmgsLog{by: map[string][]time.Time{}, sig: make(chan struct{}, 1024)}}
}

func (w cmgsWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w cmgsWatch) WithGroup(string) slog.Handler            { return w }
func (w cmgsWatch) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		if a.Key == "modem" {
			w.modem = a.Value.String()
		}
	}
	return w
}

func (w cmgsWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "at" {
		return nil
	}
	now := time.Now()
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "cmd" {
			return true
		}
		if strings.HasPrefix(strings.ToUpper(a.Value.String()), "AT+CMGS=") {
			w.mu.Lock()
			w.by[w.modem] = append(w.by[w.modem], now)
			w.mu.Unlock()
			select {
			case w.sig <- struct{}{}:
			default:
			}
		}
		return false
	})
	return nil
}

// count is how many AT+CMGS= lines the modem has read.
func (l *cmgsLog) count(modem string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.by[modem])
}

// next is the first AT+CMGS= the modem read after t.
func (l *cmgsLog) next(modem string, t time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, at := range l.by[modem] {
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}
