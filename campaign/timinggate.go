package campaign

import (
	"context"
	"time"
)

// TimingGate is the feeder's gate for a campaign's own timing: its send
// window in each recipient's zone and its rate (see Schedule). The feeder
// always asks it, after the other gates, so that a recipient a budget
// holds back takes no pace slot. It keeps each campaign's Schedule from
// pass to pass so that the pace holds.
type TimingGate struct {
	loc       *time.Location
	schedules map[string]keyedSchedule
	store     PaceStore // nil: the pace lives in this process only
}

// PaceStore is what a campaign store may offer the pace: where it stands
// in the queue. With it, a feeder started again (a restart, or another
// gateway feeding the same campaign) spaces its messages after those
// already queued instead of from now.
type PaceStore interface {
	// LastSlot returns the latest send-after time among the campaign's
	// queued messages (zero: none queued).
	LastSlot(ctx context.Context, id string) (time.Time, error)
}

// NewTimingGate returns the gate; loc is the zone of recipients whose
// contact and number name none (nil: UTC).
func NewTimingGate(loc *time.Location) *TimingGate {
	return &TimingGate{loc: loc, schedules: map[string]keyedSchedule{}}
}

type scheduleKey struct {
	run    int
	rate   int
	window Window
}

type keyedSchedule struct {
	key scheduleKey
	*Schedule
}

// schedule returns c's Schedule; a new run or a changed timing starts a
// new one.
func (g *TimingGate) schedule(c Campaign) *Schedule {
	key := scheduleKey{run: c.Run, rate: c.Rate}
	if c.Window != nil {
		key.window = *c.Window
	}
	if s, ok := g.schedules[c.ID]; ok && s.key == key {
		return s.Schedule
	}
	s := NewSchedule(c.Timing, g.loc)
	g.schedules[c.ID] = keyedSchedule{key: key, Schedule: s}
	return s
}

// Quota lets through as many recipients as the pace has slots for within
// the lookahead.
func (g *TimingGate) Quota(ctx context.Context, c Campaign, now time.Time) (Quota, error) {
	s := g.schedule(c)
	if s.Pacer.Rate > 0 && g.store != nil {
		last, err := g.store.LastSlot(ctx, c.ID)
		if err != nil {
			return Quota{}, err
		}
		if next := last.Add(s.Pacer.Interval()); !last.IsZero() && next.After(s.Pacer.Next) {
			s.Pacer.Next = next
		}
	}
	n, next := s.Quota(now)
	return Quota{N: n, Next: next}, nil
}

// Admit applies the send window in the recipient's zone and takes a pace
// slot (see Schedule.Decide).
func (g *TimingGate) Admit(c Campaign, t Target, now time.Time) Decision {
	return g.schedule(c).Decide(now, t.TimeZone, t.Number)
}

// Fed does nothing: Admit took the slots.
func (g *TimingGate) Fed(Campaign, []Target, time.Time) {}

// Forget drops what the gate keeps of a campaign no longer fed.
func (g *TimingGate) Forget(id string) { delete(g.schedules, id) }
