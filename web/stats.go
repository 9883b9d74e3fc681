package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"smsgw"
	"smsgw/queue"
)

// statsScanLimit bounds how many messages one computation of the charts
// reads: beyond it the charts say they are partial rather than make a Pi
// read a month of a busy gateway's queue on every page load.
const statsScanLimit = 50000

// statsTTL is how long a computation is reused: every browser on the
// overview asks after each event, and one read a few seconds old is as
// good for a chart.
const statsTTL = 2 * time.Second

// Bucket counts the messages created in one hour or day, by outcome and
// modem ("" before any attempt).
type Bucket struct {
	Start time.Time                `json:"start"`
	Modem map[string]*OutcomeCount `json:"modems"`
}

// OutcomeCount splits messages by how they ended so far: delivered
// (report received), sent (on the network, no report yet), failed
// (failed, expired or uncertain), pending (queued or sending) and
// cancelled.
type OutcomeCount struct {
	Delivered int `json:"delivered"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
	Cancelled int `json:"cancelled"`
}

func (c *OutcomeCount) add(st smsgw.State) {
	switch st {
	case smsgw.StateDelivered:
		c.Delivered++
	case smsgw.StateSent:
		c.Sent++
	case smsgw.StateFailed, smsgw.StateExpired, smsgw.StateUncertain:
		c.Failed++
	case smsgw.StateCancelled:
		c.Cancelled++
	default:
		c.Pending++
	}
}

// Stats is the answer of GET /ui/stats.
type Stats struct {
	Generated time.Time `json:"generated"`
	// Queue is the number of messages in each state now.
	Queue map[smsgw.State]int64 `json:"queue"`
	// Hours: the last 48 hours, oldest first; Days: the last 30 days
	// (UTC days), oldest first.
	Hours []Bucket `json:"hours"`
	Days  []Bucket `json:"days"`
	// Today counts since the start of the current UTC day, by modem.
	Today map[string]*OutcomeCount `json:"today"`
	// Partial: more messages than statsScanLimit; the oldest buckets are
	// short.
	Partial bool `json:"partial"`
}

type statsCache struct {
	src Messages
	now func() time.Time
	log *slog.Logger

	mu   sync.Mutex
	last *Stats
}

func (c *statsCache) get(ctx context.Context) (*Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.last != nil && now.Sub(c.last.Generated) < statsTTL && !now.Before(c.last.Generated) {
		return c.last, nil
	}
	s, err := computeStats(ctx, c.src, now)
	if err != nil {
		return nil, err
	}
	c.last = s
	return s, nil
}

func computeStats(ctx context.Context, src Messages, now time.Time) (*Stats, error) {
	now = now.UTC()
	s := &Stats{Generated: now, Queue: map[smsgw.State]int64{}, Today: map[string]*OutcomeCount{}}
	hour0 := now.Truncate(time.Hour).Add(-47 * time.Hour)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day0 := day.AddDate(0, 0, -29)
	for i := 0; i < 48; i++ {
		s.Hours = append(s.Hours, Bucket{Start: hour0.Add(time.Duration(i) * time.Hour), Modem: map[string]*OutcomeCount{}})
	}
	for i := 0; i < 30; i++ {
		s.Days = append(s.Days, Bucket{Start: day0.AddDate(0, 0, i), Modem: map[string]*OutcomeCount{}})
	}
	if src == nil {
		return s, nil
	}
	counts, err := src.Counts(ctx)
	if err != nil {
		return nil, err
	}
	for _, st := range smsgw.States {
		s.Queue[st] = counts[st]
	}
	since := day0
	if hour0.Before(since) {
		since = hour0
	}
	f := queue.Filter{Since: since, Limit: 1000}
	read := 0
	for {
		p, err := src.List(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, m := range p.Messages {
			t := m.CreatedAt.UTC()
			if !t.Before(hour0) {
				if i := int(t.Sub(hour0) / time.Hour); i < len(s.Hours) {
					count(s.Hours[i].Modem, m.Modem).add(m.State)
				}
			}
			if !t.Before(day0) {
				if i := int(t.Sub(day0) / (24 * time.Hour)); i < len(s.Days) {
					count(s.Days[i].Modem, m.Modem).add(m.State)
				}
			}
			if !t.Before(day) {
				count(s.Today, m.Modem).add(m.State)
			}
		}
		read += len(p.Messages)
		if p.Next == 0 {
			break
		}
		if read >= statsScanLimit {
			s.Partial = true
			break
		}
		f.Cursor = p.Next
	}
	return s, nil
}

func count(m map[string]*OutcomeCount, modem string) *OutcomeCount {
	c := m[modem]
	if c == nil {
		c = &OutcomeCount{}
		m[modem] = c
	}
	return c
}

func (h *Handler) statsJSON(w http.ResponseWriter, r *http.Request) {
	if h.opts.Messages == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "no message store")
		return
	}
	s, err := h.stats.get(r.Context())
	if err != nil {
		h.log.Error("web: statistics", "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the message store did not answer")
		return
	}
	writeJSON(w, http.StatusOK, s)
}
