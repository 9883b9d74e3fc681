package campaign

import (
	"time"
)

// MaxRatePerMinute bounds a campaign's rate (messages per minute); a modem sends a
// few dozen a minute, so a larger figure is a typing error.
const MaxRatePerMinute = 60000

// Timing is when a campaign's messages may go: its part of the campaign
// body. The zero value sends at once, at any hour, as fast as the modems
// go, once.
type Timing struct {
	// SendAt delays the start (the first run of a recurring campaign is
	// its first rule time at or after SendAt); nil: at launch.
	SendAt *time.Time `json:"send_at,omitempty"`
	// Window holds each recipient's message to these hours of the
	// recipient's own day; nil: any hour.
	Window *Window `json:"window,omitempty"`
	// Rate is how many messages a minute the campaign queues at most; 0:
	// no pacing beyond the modems' own.
	Rate int `json:"rate,omitempty"`
	// Repeat makes the campaign recurring (see Repeat); "": it runs once.
	Repeat string `json:"repeat,omitempty"`
}

// Validate checks every timing field and returns the first problem as a
// *ScheduleError. now is when the campaign is created or changed: a send_at
// in the past is refused then (a launch after send_at simply starts at
// once). def is the zone a repeat rule without its own is read in.
func (t Timing) Validate(now time.Time, def *time.Location) error {
	if t.SendAt != nil {
		if t.SendAt.IsZero() {
			return scheduleErr("send_at", CodeInvalidSendAt, "must be a time such as 2026-12-24T09:00:00+01:00")
		}
		if !now.IsZero() && t.SendAt.Before(now.Add(-time.Minute)) {
			return scheduleErr("send_at", CodeInvalidSendAt, "%s is in the past; leave send_at out to start at launch",
				t.SendAt.UTC().Format(time.RFC3339))
		}
		if !now.IsZero() && t.SendAt.After(now.AddDate(5, 0, 0)) {
			return scheduleErr("send_at", CodeInvalidSendAt, "%s is more than five years ahead", t.SendAt.UTC().Format(time.RFC3339))
		}
	}
	if t.Window != nil {
		if err := t.Window.Validate(); err != nil {
			return err
		}
	}
	if t.Rate < 0 || t.Rate > MaxRatePerMinute {
		return scheduleErr("rate", CodeInvalidRate, "%d is not a rate from 1 to %d messages a minute (0: unpaced)", t.Rate, MaxRatePerMinute)
	}
	if t.Repeat != "" {
		if _, err := ParseRepeat(t.Repeat, def); err != nil {
			return err
		}
	}
	return nil
}

// Start is when a campaign launched at launch begins: SendAt when later.
func (t Timing) Start(launch time.Time) time.Time {
	if t.SendAt != nil && t.SendAt.After(launch) {
		return *t.SendAt
	}
	return launch
}

// FirstRun is when the first run of a campaign launched at launch starts:
// Start for a one-off campaign, the first rule time at or after Start for
// a recurring one. It fails only on a rule Validate refuses.
func (t Timing) FirstRun(launch time.Time, def *time.Location) (time.Time, error) {
	start := t.Start(launch)
	if t.Repeat == "" {
		return start, nil
	}
	r, err := ParseRepeat(t.Repeat, def)
	if err != nil {
		return time.Time{}, err
	}
	return r.After(start.Add(-time.Nanosecond)), nil
}

// Pacer spaces a campaign's messages rate a minute apart: each message
// gets the next free slot, never earlier than when it is asked. The feeder
// gives a queued message its slot as the queue's send-after time, so the
// pace holds in the queue itself; keeping Next with the campaign keeps it
// across a restart.
type Pacer struct {
	Rate int       // messages a minute; 0: every slot is now
	Next time.Time // the next free slot
}

// Interval is the time between two slots (0 when unpaced).
func (p *Pacer) Interval() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Minute / time.Duration(p.Rate)
}

// Take returns the slot of the next message ready at now and moves Next
// past it.
func (p *Pacer) Take(now time.Time) time.Time {
	if p.Rate <= 0 {
		return now
	}
	at := now
	if p.Next.After(at) {
		at = p.Next
	}
	p.Next = at.Add(p.Interval())
	return at
}
