package campaign

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily send window on a recipient's own wall clock: a message
// to the recipient goes out only while the local time of day is in
// [From, To). "24:00" as To means the end of the day. A To before From is
// an overnight window (20:00-08:00 runs from 20:00 to 08:00 the next
// morning); From equal to To is refused, as it is either empty or the
// whole day and a sender who means "any time" leaves the window out or
// writes 00:00-24:00.
//
// Times are wall-clock times, so a window keeps its local meaning across
// daylight saving changes: 09:00-20:00 opens at 09:00 local time on the
// day the clocks move as on any other day. A boundary that falls in the
// hour skipped in spring takes effect when the clock jumps past it.
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// window is a parsed Window in seconds of the local day.
type window struct {
	from, to int // [from, to) with 0 <= from, to <= 86400; to < from: overnight
}

const daySeconds = 24 * 60 * 60

// parseClock reads "HH:MM" (00:00 to 24:00) into seconds of the day.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*3600 + m*60, true
}

// Validate reports whether w is a usable window, as a *ScheduleError on
// field "window".
func (w Window) Validate() error {
	_, err := w.parse()
	return err
}

func (w Window) parse() (window, error) {
	from, ok := parseClock(strings.TrimSpace(w.From))
	if !ok {
		return window{}, scheduleErr("window.from", CodeInvalidWindow, "%q is not a time of day as HH:MM (00:00 to 23:59)", clipStr(w.From, 40))
	}
	if from == daySeconds {
		return window{}, scheduleErr("window.from", CodeInvalidWindow, "a window cannot open at 24:00; use 00:00")
	}
	to, ok := parseClock(strings.TrimSpace(w.To))
	if !ok {
		return window{}, scheduleErr("window.to", CodeInvalidWindow, "%q is not a time of day as HH:MM (00:00 to 24:00)", clipStr(w.To, 40))
	}
	if from == 0 && to == daySeconds {
		return window{}, nil // the whole day: [0, 0) holds every second
	}
	if to%daySeconds == from {
		return window{}, scheduleErr("window", CodeInvalidWindow,
			"from and to are both %s: a window must have a length; leave the window out to send at any hour", w.From)
	}
	if to == daySeconds {
		to = 0 // [from, 24:00) and the overnight [from, 00:00) are the same window
	}
	return window{from: from, to: to}, nil
}

// Overnight reports whether the window spans midnight (To before From).
func (w Window) Overnight() bool {
	p, err := w.parse()
	return err == nil && p.to < p.from && p.to != 0 // "to" 00:00 or 24:00 ends at midnight
}

// String is the window as "09:00-20:00".
func (w Window) String() string { return w.From + "-" + w.To }

// holds reports whether sec (seconds into the local day) is in the window.
func (p window) holds(sec int) bool {
	if p.from < p.to {
		return sec >= p.from && sec < p.to
	}
	return sec >= p.from || sec < p.to
}

// secOfDay is how far into its local day t is, in seconds (fractions
// dropped; boundaries are whole minutes).
func secOfDay(t time.Time) int {
	h, m, s := t.Clock()
	return h*3600 + m*60 + s
}

// firstIn returns the first instant at or after t at which the wall clock
// of loc is in p. Between two offset changes of loc the wall clock runs
// evenly, so the clock enters the window at its opening time or, when an
// offset change makes it jump, at that change; both are visited in order.
func (p window) firstIn(t time.Time, loc *time.Location) time.Time {
	cur := t.In(loc)
	// A year has at most a few offset changes, and the opening time comes
	// within a day of any instant, so this ends in a handful of steps; the
	// bound only guards against a broken zone database.
	for i := 0; i < 64; i++ {
		sec := secOfDay(cur)
		if p.holds(sec) {
			return cur
		}
		wait := time.Duration((p.from-sec+daySeconds)%daySeconds)*time.Second - time.Duration(cur.Nanosecond())
		if wait <= 0 {
			wait += 24 * time.Hour
		}
		at := cur.Add(wait)
		_, end := cur.ZoneBounds()
		if end.IsZero() || at.Before(end) {
			return at
		}
		cur = end.In(loc)
	}
	return cur
}

// In reports whether t is inside the window in loc.
func (w Window) In(t time.Time, loc *time.Location) bool {
	p, err := w.parse()
	if err != nil {
		return true // an unchecked window never holds a message back; Validate refuses it first
	}
	return p.holds(secOfDay(t.In(loc)))
}

// NextOpen returns t when t is inside the window in loc, else the next
// instant the window opens there.
func (w Window) NextOpen(t time.Time, loc *time.Location) time.Time {
	p, err := w.parse()
	if err != nil {
		return t
	}
	return p.firstIn(t, loc).In(t.Location())
}

// Closes returns when the window that holds t closes in loc: the first
// instant at or after t outside it (t itself when t is outside; zero for
// 00:00-24:00, which never closes).
func (w Window) Closes(t time.Time, loc *time.Location) time.Time {
	p, err := w.parse()
	if err != nil || p.from == p.to {
		return time.Time{} // the whole day never closes
	}
	return window{from: p.to, to: p.from}.firstIn(t, loc).In(t.Location())
}

// Slot says when a message to a recipient in loc may be queued and until
// when it may go, for a message that would be ready at t: inside the
// window it is (t, the window's close); outside, (the next opening, the
// close of that window). A nil window allows any hour: (t, zero).
func (w *Window) Slot(t time.Time, loc *time.Location) (at, notAfter time.Time) {
	if w == nil {
		return t, time.Time{}
	}
	at = w.NextOpen(t, loc)
	return at, w.Closes(at, loc)
}

// Location returns the time zone a recipient's window is read in: the
// contact's own zone when set and known, else the zone of the number's
// country (see smsgw.TimeZoneOf), else fallback.
func Location(contactZone, numberZone string, fallback *time.Location) *time.Location {
	for _, z := range []string{contactZone, numberZone} {
		if z == "" || z == "Local" {
			continue
		}
		if loc, err := loadLocation(z); err == nil {
			return loc
		}
	}
	if fallback == nil {
		return time.UTC
	}
	return fallback
}

// ScheduleError says which timing field of a campaign is wrong and why.
// Code is the machine code an API answer carries.
type ScheduleError struct {
	Field  string // "window.from", "send_at", "rate", "repeat", ...
	Code   string // one of the Code* constants
	Reason string
}

// Machine codes of ScheduleError.
const (
	CodeInvalidWindow = "invalid_window"
	CodeInvalidRepeat = "invalid_repeat"
	CodeInvalidSendAt = "invalid_send_at"
	CodeInvalidRate   = "invalid_rate"
)

func (e *ScheduleError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

func scheduleErr(field, code, format string, args ...any) error {
	return &ScheduleError{Field: field, Code: code, Reason: fmt.Sprintf(format, args...)}
}
