package campaign

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repeat is a parsed repeat rule: when a recurring campaign runs. The
// syntax is small on purpose:
//
//	daily HH:MM                 every day
//	weekdays HH:MM              Monday to Friday
//	weekly DAY[,DAY...] HH:MM   on the named days (mon tue wed thu fri sat sun)
//	monthly N HH:MM             on day N of each month, 1 to 28
//
// optionally followed by an IANA time zone the time is read in
// ("weekdays 08:00 Europe/Berlin"); without one the gateway's own zone is
// used. The time is a wall-clock time: a run set for a time the clocks skip
// in spring starts when they jump past it, and a time the clocks pass twice
// in autumn runs once, the first time.
type Repeat struct {
	src  string
	days [7]bool // by time.Weekday; all false for monthly
	mday int     // monthly: day of the month, else 0
	sec  int     // seconds into the local day
	loc  *time.Location
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

const repeatSyntax = `use "daily HH:MM", "weekdays HH:MM", "weekly mon,thu HH:MM" or "monthly N HH:MM", optionally followed by a time zone such as Europe/Berlin`

// ParseRepeat reads a repeat rule; def is the zone used when the rule names
// none (nil: UTC). Errors are *ScheduleError on field "repeat".
func ParseRepeat(s string, def *time.Location) (Repeat, error) {
	bad := func(format string, args ...any) (Repeat, error) {
		return Repeat{}, scheduleErr("repeat", CodeInvalidRepeat, format, args...)
	}
	f := strings.Fields(strings.ToLower(s))
	if len(f) < 2 {
		return bad("%q is not a repeat rule: %s", clipStr(s, 60), repeatSyntax)
	}
	r := Repeat{src: strings.Join(strings.Fields(s), " "), loc: def}
	if r.loc == nil {
		r.loc = time.UTC
	}
	rest := f[1:]
	switch f[0] {
	case "daily":
		for d := range r.days {
			r.days[d] = true
		}
	case "weekdays":
		for d := time.Monday; d <= time.Friday; d++ {
			r.days[d] = true
		}
	case "weekly":
		if len(rest) < 2 {
			return bad("weekly needs the days and a time, as in \"weekly mon,thu 08:00\"")
		}
		for _, name := range strings.Split(rest[0], ",") {
			d, ok := weekdayNames[name]
			if !ok {
				return bad("%q is not a day; use mon, tue, wed, thu, fri, sat or sun", clipStr(name, 20))
			}
			r.days[d] = true
		}
		rest = rest[1:]
	case "monthly":
		if len(rest) < 2 {
			return bad("monthly needs the day of the month and a time, as in \"monthly 1 08:00\"")
		}
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 || n > 28 {
			return bad("%q is not a day of the month from 1 to 28 (every month has those)", clipStr(rest[0], 20))
		}
		r.mday = n
		rest = rest[1:]
	default:
		return bad("%q is not a repeat rule: %s", clipStr(s, 60), repeatSyntax)
	}
	sec, ok := parseClock(rest[0])
	if !ok || sec == daySeconds {
		return bad("%q is not a time of day as HH:MM (00:00 to 23:59)", clipStr(rest[0], 20))
	}
	r.sec = sec
	rest = rest[1:]
	if len(rest) > 0 {
		// Zone names are case-sensitive; take the word as written.
		orig := strings.Fields(s)
		name := orig[len(orig)-len(rest)]
		loc, err := loadLocation(name)
		if err != nil || len(rest) > 1 {
			return bad("%q after the time is not an IANA time zone such as Europe/Berlin", clipStr(strings.Join(orig[len(orig)-len(rest):], " "), 40))
		}
		r.loc = loc
	}
	return r, nil
}

// String is the rule as written, spaces collapsed.
func (r Repeat) String() string { return r.src }

// Location is the zone the rule's time is read in.
func (r Repeat) Location() *time.Location { return r.loc }

// runsOn reports whether the rule runs on the local date of t.
func (r Repeat) runsOn(t time.Time) bool {
	if r.mday > 0 {
		return t.Day() == r.mday
	}
	return r.days[t.Weekday()]
}

// After returns the first run strictly after t.
func (r Repeat) After(t time.Time) time.Time {
	if r.loc == nil {
		return time.Time{}
	}
	local := t.In(r.loc)
	y, m, d := local.Date()
	// The rule's time comes at least once on each matching day; a month
	// always has a day 1 to 28, so 62 days cover every rule.
	for i := 0; i <= 62; i++ {
		dayStart := time.Date(y, m, d+i, 0, 0, 0, 0, r.loc)
		if !r.runsOn(dayStart) {
			continue
		}
		// The first instant of that day whose clock has reached the
		// rule's time: its time exactly, or the jump over a skipped hour.
		at := window{from: r.sec, to: 0}.firstIn(dayStart, r.loc)
		if at.After(t) {
			return at.In(t.Location())
		}
	}
	return time.Time{}
}

// Due tells a recurring campaign what to run at now, given the scheduled
// time of its last run (or, before the first, the instant its schedule
// starts from, which is not itself a run): due is the latest run time in
// (last, now], zero when none has come; missed counts the earlier run
// times in that span, overtaken while the gateway was down. Only the
// latest runs, so a gateway back after a weekend sends Monday's message
// once rather than three copies at once; the missed runs are counted, not
// sent.
func (r Repeat) Due(last, now time.Time) (due time.Time, missed int) {
	// A gateway down for more than a year (or a zero last) would walk
	// every day since; such old runs are only counted as a year's worth.
	if floor := now.AddDate(-1, 0, 0); last.Before(floor) {
		last = floor
	}
	for n := r.After(last); !n.IsZero() && !n.After(now); n = r.After(n) {
		if !due.IsZero() {
			missed++
		}
		due = n
	}
	return due, missed
}

var locations sync.Map // zone name -> *time.Location

// loadLocation is time.LoadLocation with a cache: a campaign asks for the
// same few zones once per recipient.
func loadLocation(name string) (*time.Location, error) {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, scheduleErr("time_zone", CodeInvalidRepeat, "%q is not an IANA time zone", clipStr(name, 40))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}
