package campaign

import (
	"time"

	"smsgw"
)

// DefaultLookahead is how far ahead of its send time the feeder queues a
// paced message. The queue holds only this much of a campaign at a time,
// so pausing or cancelling touches few messages, and a restart that
// forgets the pace sends at most this much early.
const DefaultLookahead = time.Minute

// Schedule decides, for each recipient the feeder finds due, whether its
// message is queued now and with which send-after and expiry times, or
// when to look at the recipient again. It applies the campaign's send
// window in the recipient's own zone and paces the campaign's messages.
//
// A message is queued only inside its recipient's window, and carries the
// window's close as its expiry: a message the modems could not send before
// the window closed expires in the queue instead of going out at night, and
// the feeder puts its recipient back for the next opening (see
// Store.ReopenExpired). Pacing happens before the queue: a message is
// queued at most Lookahead before its slot, with the slot as its
// send-after time.
type Schedule struct {
	Window *Window
	Pacer  Pacer
	// Fallback is the zone of a recipient with no zone of its own and a
	// number whose country names none (nil: UTC).
	Fallback *time.Location
	// Lookahead: see DefaultLookahead (0 means that).
	Lookahead time.Duration
}

// NewSchedule returns the schedule of a campaign's timing.
func NewSchedule(t Timing, fallback *time.Location) *Schedule {
	return &Schedule{Window: t.Window, Pacer: Pacer{Rate: t.Rate}, Fallback: fallback}
}

// Decision is the schedule's answer for one recipient.
type Decision struct {
	// Now: queue the message now, with SendAfter (zero: at once) and
	// NotAfter (zero: no expiry) as its send-after and expiry times.
	Now       bool
	SendAfter time.Time
	NotAfter  time.Time
	// Retry, when Now is false, is when the recipient is due again: its
	// window's next opening or its pace slot.
	Retry time.Time
}

// Decide answers for a recipient with the time zone zone (the contact's,
// "" for none) and number at now. A recipient given Now takes a pace slot;
// one told to retry takes none.
func (g *Schedule) Decide(now time.Time, zone, number string) Decision {
	look := g.Lookahead
	if look <= 0 {
		look = DefaultLookahead
	}
	slot := now
	if g.Pacer.Rate > 0 && g.Pacer.Next.After(slot) {
		slot = g.Pacer.Next
	}
	if slot.After(now.Add(look)) {
		return Decision{Retry: slot}
	}
	var notAfter time.Time
	if g.Window != nil {
		loc := g.Location(zone, number)
		if open := g.Window.NextOpen(slot, loc); open.After(slot) {
			return Decision{Retry: open}
		}
		notAfter = g.Window.Closes(slot, loc)
	}
	slot = g.Pacer.Take(slot)
	d := Decision{Now: true, NotAfter: notAfter}
	if slot.After(now) {
		d.SendAfter = slot
	}
	return d
}

// Location is the zone a recipient's window is read in (see Location).
func (g *Schedule) Location(zone, number string) *time.Location {
	if zone != "" {
		if loc, err := loadLocation(zone); err == nil {
			return loc
		}
	}
	return Location("", smsgw.TimeZoneOf(number), g.Fallback)
}

// Quota is how many messages the pace lets the campaign queue at now (at
// most Lookahead before their slots), and, when none, when one may be:
// the feeder loads no more recipients than that, so a paced campaign of
// any size costs a pass only the few recipients it queues.
func (g *Schedule) Quota(now time.Time) (n int, next time.Time) {
	if g.Pacer.Rate <= 0 {
		return Unlimited, time.Time{}
	}
	look := g.Lookahead
	if look <= 0 {
		look = DefaultLookahead
	}
	slot := now
	if g.Pacer.Next.After(slot) {
		slot = g.Pacer.Next
	}
	horizon := now.Add(look)
	if slot.After(horizon) {
		return 0, slot.Add(-look)
	}
	return int(horizon.Sub(slot)/g.Pacer.Interval()) + 1, time.Time{}
}
