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
func (g *TimingGate) Quota(_ context.Context, c Campaign, now time.Time) (Quota, error) {
	n, next := g.schedule(c).Quota(now)
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
