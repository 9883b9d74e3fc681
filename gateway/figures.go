package gateway

import (
	"sync"
	"time"

	"smsgw/queue"
)

// figures records the latencies the README reports: from acceptance to the
// first AT+CMGS of a message, and from a +CMTI to the script starting.
// Cheap enough to keep on in production; read by tests and benchmarks.
type figures struct {
	mu        sync.Mutex
	firstCMGS map[int64]time.Time // message id -> its first AT+CMGS
	lastCMTI  map[string]time.Time
}

func (g *Gateway) noteCMGS(job *queue.Job) {
	f := &g.figures
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstCMGS == nil || len(f.firstCMGS) >= 10000 {
		f.firstCMGS = map[int64]time.Time{} // bounded: figures, not history
	}
	if _, ok := f.firstCMGS[job.ID]; !ok {
		f.firstCMGS[job.ID] = time.Now()
	}
}

func (g *Gateway) noteCMTI(modem string, at time.Time) {
	f := &g.figures
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lastCMTI == nil {
		f.lastCMTI = map[string]time.Time{}
	}
	if at.IsZero() {
		at = time.Now()
	}
	f.lastCMTI[modem] = at
}

// FirstCMGS returns when the first AT+CMGS of a message was written.
func (g *Gateway) FirstCMGS(id int64) (time.Time, bool) {
	g.figures.mu.Lock()
	defer g.figures.mu.Unlock()
	t, ok := g.figures.firstCMGS[id]
	return t, ok
}

// LastCMTI returns when the modem last announced a received message.
func (g *Gateway) LastCMTI(modem string) time.Time {
	g.figures.mu.Lock()
	defer g.figures.mu.Unlock()
	return g.figures.lastCMTI[modem]
}

// ATCommands returns the AT commands written to a modem's port so far.
func (g *Gateway) ATCommands(id string) int64 {
	m, ok := g.pool.Member(id)
	if !ok {
		return 0
	}
	g.tracesMu.Lock()
	t := g.traces[m.Port()]
	g.tracesMu.Unlock()
	if t == nil {
		return 0
	}
	return t.Commands()
}
