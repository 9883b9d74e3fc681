package campaign

import (
	"errors"
	"testing"
	"time"
)

func TestParseRepeatErrors(t *testing.T) {
	for _, s := range []string{
		"", "daily", "hourly 08:00", "daily 8am", "daily 8:00", "daily 24:00", "weekdays 25:00",
		"weekly 08:00", "weekly mon,xyz 08:00", "weekly monday 08:00", "monthly 08:00", "monthly 29 08:00",
		"monthly 0 08:00", "daily 08:00 Mars/Olympus", "daily 08:00 Europe/Berlin extra", "daily 08:00 Local",
		"*/5 * * * *",
	} {
		_, err := ParseRepeat(s, time.UTC)
		var se *ScheduleError
		if !errors.As(err, &se) || se.Field != "repeat" || se.Code != CodeInvalidRepeat || se.Reason == "" {
			t.Errorf("%q: got %v, want an %s error", s, err, CodeInvalidRepeat)
		}
	}
}

func TestRepeatAfter(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	for _, c := range []struct {
		rule, after string
		want        []string // successive runs
	}{
		// Friday 11 December 2026 at 08:00 Berlin, then Monday and Tuesday.
		{"weekdays 08:00", "2026-12-11T07:00:00Z", []string{"2026-12-14T07:00:00Z", "2026-12-15T07:00:00Z"}},
		{"weekdays 08:00", "2026-12-11T06:59:00Z", []string{"2026-12-11T07:00:00Z", "2026-12-14T07:00:00Z"}},
		{"daily 08:00", "2026-12-11T07:00:00Z", []string{"2026-12-12T07:00:00Z", "2026-12-13T07:00:00Z"}},
		{"WEEKLY Mon,Thu 18:30", "2026-12-07T12:00:00Z", []string{"2026-12-07T17:30:00Z", "2026-12-10T17:30:00Z", "2026-12-14T17:30:00Z"}},
		{"monthly 1 09:00", "2026-12-07T12:00:00Z", []string{"2027-01-01T08:00:00Z", "2027-02-01T08:00:00Z"}},
		// A zone in the rule wins over the default.
		{"daily 08:00 America/New_York", "2026-12-07T12:00:00Z", []string{"2026-12-07T13:00:00Z", "2026-12-08T13:00:00Z"}},
		// Spring: 02:30 does not exist on 29 March 2026, the run starts at
		// the jump (03:00 CEST = 01:00Z); the day after at 02:30 CEST.
		{"daily 02:30", "2026-03-28T12:00:00Z", []string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		// Autumn: 02:30 comes twice on 25 October 2026; one run, the first.
		{"daily 02:30", "2026-10-24T12:00:00Z", []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		// Across the change, 08:00 stays 08:00 local.
		{"daily 08:00", "2026-03-28T12:00:00Z", []string{"2026-03-29T06:00:00Z"}},
	} {
		r, err := ParseRepeat(c.rule, berlin)
		if err != nil {
			t.Fatalf("%q: %v", c.rule, err)
		}
		at := utc(c.after)
		for _, w := range c.want {
			at = r.After(at)
			if !at.Equal(utc(w)) {
				t.Errorf("%q after %s: got %v, want %s", c.rule, c.after, at.UTC(), w)
				break
			}
		}
	}
	r, _ := ParseRepeat("  weekly   mon  08:00  Asia/Tokyo ", nil)
	if r.String() != "weekly mon 08:00 Asia/Tokyo" || r.Location().String() != "Asia/Tokyo" {
		t.Errorf("string %q zone %v", r, r.Location())
	}
	if r, _ := ParseRepeat("daily 08:00", nil); r.Location() != time.UTC {
		t.Errorf("no default: %v", r.Location())
	}
}

func TestRepeatDue(t *testing.T) {
	r, err := ParseRepeat("daily 08:00 UTC", nil)
	if err != nil {
		t.Fatal(err)
	}
	last := utc("2026-12-11T08:00:00Z") // Friday's run
	for _, c := range []struct {
		now, due string
		missed   int
	}{
		{"2026-12-11T09:00:00Z", "", 0},                     // nothing new since Friday's
		{"2026-12-12T07:59:59Z", "", 0},                     // a second early
		{"2026-12-12T08:00:00Z", "2026-12-12T08:00:00Z", 0}, // on the dot
		{"2026-12-12T08:00:30Z", "2026-12-12T08:00:00Z", 0}, // back from a restart half a minute late
		{"2026-12-14T09:00:00Z", "2026-12-14T08:00:00Z", 2}, // down all weekend: Monday's runs, two counted missed
	} {
		due, missed := r.Due(last, utc(c.now))
		if (c.due == "" && !due.IsZero()) || (c.due != "" && !due.Equal(utc(c.due))) || missed != c.missed {
			t.Errorf("now %s: due %v missed %d, want %q and %d", c.now, due, missed, c.due, c.missed)
		}
	}
	// Once the due run is recorded as the last, asking again finds none:
	// a restart right after a run does not run it twice.
	due, _ := r.Due(last, utc("2026-12-12T08:00:30Z"))
	if again, _ := r.Due(due, utc("2026-12-12T08:01:00Z")); !again.IsZero() {
		t.Errorf("run %v doubled: %v", due, again)
	}
	// A zero last walks at most a year.
	if due, missed := r.Due(time.Time{}, utc("2026-12-12T09:00:00Z")); !due.Equal(utc("2026-12-12T08:00:00Z")) || missed < 364 || missed > 366 {
		t.Errorf("zero last: %v, %d missed", due, missed)
	}
}
