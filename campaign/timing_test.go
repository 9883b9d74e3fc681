package campaign

import (
	"errors"
	"testing"
	"time"
)

func TestTimingValidate(t *testing.T) {
	now := utc("2026-12-07T10:00:00Z")
	ptr := func(s string) *time.Time { v := utc(s); return &v }
	ok := []Timing{
		{},
		{SendAt: ptr("2026-12-08T09:00:00Z"), Window: &Window{"09:00", "20:00"}, Rate: 120, Repeat: "weekdays 08:00"},
		{SendAt: ptr("2026-12-07T09:59:30Z")}, // the clock of the client a little behind
		{Rate: MaxRatePerMinute},
	}
	for _, tm := range ok {
		if err := tm.Validate(now, time.UTC); err != nil {
			t.Errorf("%+v: %v", tm, err)
		}
	}
	for _, c := range []struct {
		tm          Timing
		field, code string
	}{
		{Timing{SendAt: ptr("2026-12-06T09:00:00Z")}, "send_at", CodeInvalidSendAt},
		{Timing{SendAt: &time.Time{}}, "send_at", CodeInvalidSendAt},
		{Timing{SendAt: ptr("2040-01-01T00:00:00Z")}, "send_at", CodeInvalidSendAt},
		{Timing{Window: &Window{"20:00", "20:00"}}, "window", CodeInvalidWindow},
		{Timing{Window: &Window{"9", "20:00"}}, "window.from", CodeInvalidWindow},
		{Timing{Rate: -1}, "rate", CodeInvalidRate},
		{Timing{Rate: MaxRatePerMinute + 1}, "rate", CodeInvalidRate},
		{Timing{Repeat: "every day"}, "repeat", CodeInvalidRepeat},
	} {
		err := c.tm.Validate(now, time.UTC)
		var se *ScheduleError
		if !errors.As(err, &se) || se.Field != c.field || se.Code != c.code {
			t.Errorf("%+v: got %v, want %s on %s", c.tm, err, c.code, c.field)
		}
	}
}

func TestTimingFirstRun(t *testing.T) {
	launch := utc("2026-12-07T10:00:00Z") // a Monday
	send := utc("2026-12-09T06:00:00Z")
	for _, c := range []struct {
		tm   Timing
		want string
	}{
		{Timing{}, "2026-12-07T10:00:00Z"},
		{Timing{SendAt: &send}, "2026-12-09T06:00:00Z"},
		{Timing{Repeat: "weekdays 08:00"}, "2026-12-08T08:00:00Z"},
		{Timing{Repeat: "weekdays 08:00", SendAt: &send}, "2026-12-09T08:00:00Z"},
		{Timing{Repeat: "daily 10:00"}, "2026-12-07T10:00:00Z"}, // launched on the minute of a run: it counts
	} {
		got, err := c.tm.FirstRun(launch, time.UTC)
		if err != nil || !got.Equal(utc(c.want)) {
			t.Errorf("%+v: %v %v, want %s", c.tm, got, err, c.want)
		}
	}
	if _, err := (Timing{Repeat: "nope"}).FirstRun(launch, time.UTC); err == nil {
		t.Error("bad rule accepted")
	}
}

func TestPacer(t *testing.T) {
	now := utc("2026-12-07T10:00:00Z")
	p := Pacer{Rate: 120}
	if p.Interval() != 500*time.Millisecond {
		t.Fatalf("interval %v", p.Interval())
	}
	for i := 0; i < 240; i++ {
		if got, want := p.Take(now), now.Add(time.Duration(i)*500*time.Millisecond); !got.Equal(want) {
			t.Fatalf("slot %d: %v, want %v", i, got, want)
		}
	}
	// 240 messages at 120 a minute take two minutes; the next is due then.
	if !p.Next.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("next %v", p.Next)
	}
	// A message ready after a pause gets its own time, not a past slot.
	later := now.Add(time.Hour)
	if got := p.Take(later); !got.Equal(later) {
		t.Errorf("after a pause: %v", got)
	}
	// Kept Next carries the pace over a restart.
	q := Pacer{Rate: 120, Next: p.Next}
	if got := q.Take(later); !got.Equal(later.Add(500 * time.Millisecond)) {
		t.Errorf("restored pacer: %v", got)
	}
	free := Pacer{}
	if got := free.Take(now); !got.Equal(now) || free.Interval() != 0 {
		t.Errorf("unpaced: %v", got)
	}
}
