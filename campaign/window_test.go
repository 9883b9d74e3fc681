package campaign

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowValidate(t *testing.T) {
	for _, w := range []Window{{"09:00", "20:00"}, {"20:00", "08:00"}, {"00:00", "24:00"}, {"18:00", "24:00"}, {"23:59", "00:00"}} {
		if err := w.Validate(); err != nil {
			t.Errorf("%v: %v", w, err)
		}
	}
	for _, c := range []struct {
		w     Window
		field string
	}{
		{Window{"9:00", "20:00"}, "window.from"},
		{Window{"09:00", "20"}, "window.to"},
		{Window{"25:00", "20:00"}, "window.from"},
		{Window{"09:60", "20:00"}, "window.from"},
		{Window{"24:00", "08:00"}, "window.from"},
		{Window{"09:00", "24:01"}, "window.to"},
		{Window{"", "20:00"}, "window.from"},
		{Window{"09:00", "09:00"}, "window"},
		{Window{"00:00", "00:00"}, "window"},
		{Window{"-1:00", "08:00"}, "window.from"},
	} {
		err := c.w.Validate()
		var se *ScheduleError
		if !errors.As(err, &se) || se.Field != c.field || se.Code != CodeInvalidWindow || se.Reason == "" {
			t.Errorf("%v: got %v, want a %s error on %s", c.w, err, CodeInvalidWindow, c.field)
		}
	}
}

func TestWindowTwoZones(t *testing.T) {
	w := Window{"09:00", "20:00"}
	berlin, newYork := mustLoc(t, "Europe/Berlin"), mustLoc(t, "America/New_York")
	now := utc("2026-12-07T10:00:00Z") // 11:00 in Berlin, 05:00 in New York
	if !w.In(now, berlin) || w.In(now, newYork) {
		t.Fatalf("at %v: Berlin in=%v New York in=%v", now, w.In(now, berlin), w.In(now, newYork))
	}
	if got := w.NextOpen(now, berlin); !got.Equal(now) {
		t.Errorf("Berlin next open %v, want now", got)
	}
	if got, want := w.Closes(now, berlin), utc("2026-12-07T19:00:00Z"); !got.Equal(want) {
		t.Errorf("Berlin closes %v, want %v", got, want)
	}
	if got, want := w.NextOpen(now, newYork), utc("2026-12-07T14:00:00Z"); !got.Equal(want) {
		t.Errorf("New York next open %v, want %v (09:00 EST)", got, want)
	}
	at, notAfter := w.Slot(now, newYork)
	if !at.Equal(utc("2026-12-07T14:00:00Z")) || !notAfter.Equal(utc("2026-12-08T01:00:00Z")) {
		t.Errorf("New York slot %v until %v", at, notAfter)
	}
	// After the close the next opening is the following morning.
	if got, want := w.NextOpen(utc("2026-12-07T19:00:00Z"), berlin), utc("2026-12-08T08:00:00Z"); !got.Equal(want) {
		t.Errorf("Berlin after close: %v, want %v", got, want)
	}
	var none *Window
	if at, na := none.Slot(now, newYork); !at.Equal(now) || !na.IsZero() {
		t.Errorf("no window: %v until %v", at, na)
	}
}

func TestWindowOvernightAndEndOfDay(t *testing.T) {
	w := Window{"20:00", "08:00"}
	if !w.Overnight() || (Window{"09:00", "20:00"}).Overnight() || (Window{"18:00", "24:00"}).Overnight() {
		t.Fatal("Overnight wrong")
	}
	for _, c := range []struct{ at, open, closes string }{
		{"2026-06-01T12:00:00Z", "2026-06-01T20:00:00Z", "2026-06-01T12:00:00Z"},
		{"2026-06-01T23:00:00Z", "2026-06-01T23:00:00Z", "2026-06-02T08:00:00Z"},
		{"2026-06-02T03:00:00Z", "2026-06-02T03:00:00Z", "2026-06-02T08:00:00Z"},
		{"2026-06-02T08:00:00Z", "2026-06-02T20:00:00Z", "2026-06-02T08:00:00Z"},
	} {
		at := utc(c.at)
		if got := w.NextOpen(at, time.UTC); !got.Equal(utc(c.open)) {
			t.Errorf("%s: next open %v, want %s", c.at, got, c.open)
		}
		if got := w.Closes(at, time.UTC); !got.Equal(utc(c.closes)) {
			t.Errorf("%s: closes %v, want %s", c.at, got, c.closes)
		}
	}
	eod := Window{"18:00", "24:00"}
	if !eod.In(utc("2026-06-01T23:59:59Z"), time.UTC) || eod.In(utc("2026-06-02T00:00:00Z"), time.UTC) {
		t.Error("18:00-24:00 should hold 23:59:59 and not midnight")
	}
	if got := eod.Closes(utc("2026-06-01T19:00:00Z"), time.UTC); !got.Equal(utc("2026-06-02T00:00:00Z")) {
		t.Errorf("18:00-24:00 closes %v", got)
	}
}

func TestWindowDaylightSaving(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	// 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00Z).
	w := Window{"09:00", "20:00"}
	if got, want := w.NextOpen(utc("2026-03-28T20:00:00Z"), berlin), utc("2026-03-29T07:00:00Z"); !got.Equal(want) {
		t.Errorf("spring: opens %v, want %v (09:00 CEST)", got, want)
	}
	if got, want := w.Closes(utc("2026-03-29T10:00:00Z"), berlin), utc("2026-03-29T18:00:00Z"); !got.Equal(want) {
		t.Errorf("spring: closes %v, want %v (20:00 CEST)", got, want)
	}
	// A window opening in the skipped hour opens when the clock jumps.
	gap := Window{"02:30", "04:00"}
	if got, want := gap.NextOpen(utc("2026-03-29T00:10:00Z"), berlin), utc("2026-03-29T01:00:00Z"); !got.Equal(want) {
		t.Errorf("spring gap: opens %v, want %v", got, want)
	}
	// 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00Z); 02:00-02:30
	// comes twice, and the window holds both times.
	twice := Window{"02:00", "02:30"}
	steps := []struct{ at, open, closes string }{
		{"2026-10-24T23:30:00Z", "2026-10-25T00:00:00Z", "2026-10-24T23:30:00Z"},
		{"2026-10-25T00:10:00Z", "2026-10-25T00:10:00Z", "2026-10-25T00:30:00Z"},
		{"2026-10-25T00:40:00Z", "2026-10-25T01:00:00Z", "2026-10-25T00:40:00Z"},
		{"2026-10-25T01:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"},
		{"2026-10-25T01:30:00Z", "2026-10-26T01:00:00Z", "2026-10-25T01:30:00Z"},
	}
	for _, c := range steps {
		at := utc(c.at)
		if got := twice.NextOpen(at, berlin); !got.Equal(utc(c.open)) {
			t.Errorf("autumn %s: opens %v, want %s", c.at, got, c.open)
		}
		if got := twice.Closes(at, berlin); !got.Equal(utc(c.closes)) {
			t.Errorf("autumn %s: closes %v, want %s", c.at, got, c.closes)
		}
	}
	// The answer keeps the caller's location.
	if got := w.NextOpen(utc("2026-03-28T20:00:00Z"), berlin); got.Location() != time.UTC {
		t.Errorf("location %v, want UTC", got.Location())
	}
}

// TestWindowAgainstMinuteScan checks NextOpen and Closes against a walk
// of every minute, in zones with daylight saving on both hemispheres, a
// half-hour offset and none at all.
func TestWindowAgainstMinuteScan(t *testing.T) {
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe", "UTC", "America/Santiago"}
	windows := []Window{{"09:00", "20:00"}, {"20:00", "08:00"}, {"02:00", "02:30"}, {"01:30", "03:30"}, {"00:00", "24:00"}, {"23:00", "01:00"}, {"00:00", "00:01"}}
	rng := rand.New(rand.NewPCG(1, 2))
	base := utc("2026-01-01T00:00:00Z")
	for _, zn := range zones {
		loc := mustLoc(t, zn)
		for _, w := range windows {
			for i := 0; i < 40; i++ {
				// Random minutes through the year, with extra weight on
				// the days the clocks change.
				at := base.Add(time.Duration(rng.IntN(365*24*60)) * time.Minute)
				if i%2 == 0 {
					_, end := at.In(loc).ZoneBounds()
					if !end.IsZero() {
						at = end.Add(time.Duration(rng.IntN(48*60)-24*60) * time.Minute)
					}
				}
				open := w.NextOpen(at, loc)
				if !w.In(open, loc) {
					t.Fatalf("%s %v at %v: next open %v is outside", zn, w, at, open)
				}
				for u := at; u.Before(open); u = u.Add(time.Minute) {
					if w.In(u, loc) {
						t.Fatalf("%s %v at %v: next open %v, but %v is inside", zn, w, at, open, u)
					}
				}
				closes := w.Closes(open, loc)
				if closes.IsZero() && w == (Window{"00:00", "24:00"}) {
					continue
				}
				if w.In(closes, loc) || !closes.After(open) {
					t.Fatalf("%s %v from %v: closes %v is inside or not later", zn, w, open, closes)
				}
				for u := open; u.Before(closes); u = u.Add(time.Minute) {
					if !w.In(u, loc) {
						t.Fatalf("%s %v from %v: closes %v, but %v is outside", zn, w, open, closes, u)
					}
				}
			}
		}
	}
}

func TestLocation(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	if got := Location("Asia/Tokyo", "Europe/Berlin", paris); got.String() != "Asia/Tokyo" {
		t.Errorf("contact zone first: %v", got)
	}
	if got := Location("", "Europe/Berlin", paris); got.String() != "Europe/Berlin" {
		t.Errorf("number zone next: %v", got)
	}
	if got := Location("Nowhere/City", "", paris); got != paris {
		t.Errorf("fallback: %v", got)
	}
	if got := Location("", "", nil); got != time.UTC {
		t.Errorf("no fallback: %v", got)
	}
}
