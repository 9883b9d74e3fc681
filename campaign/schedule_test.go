package campaign

import (
	"testing"
	"time"
)

// TestScheduleTwoZones is the send window's promise: at 10:00 UTC a recipient
// in Berlin (11:00) is sent at once and one in New York (05:00) waits for
// 09:00 in New York; the Berlin message may not go after 20:00 Berlin.
func TestScheduleTwoZones(t *testing.T) {
	g := NewSchedule(Timing{Window: &Window{"09:00", "20:00"}}, nil)
	now := utc("2026-12-07T10:00:00Z")
	berlin := g.Decide(now, "", "+4915112345678")
	if !berlin.Now || !berlin.SendAfter.IsZero() || !berlin.NotAfter.Equal(utc("2026-12-07T19:00:00Z")) {
		t.Errorf("Berlin: %+v", berlin)
	}
	newYork := g.Decide(now, "", "+12125550123")
	if newYork.Now || !newYork.Retry.Equal(utc("2026-12-07T14:00:00Z")) {
		t.Errorf("New York: %+v", newYork)
	}
	// Its morning comes: then it goes, until 20:00 New York.
	later := g.Decide(newYork.Retry, "", "+12125550123")
	if !later.Now || !later.NotAfter.Equal(utc("2026-12-08T01:00:00Z")) {
		t.Errorf("New York at 09:00: %+v", later)
	}
	// A contact's own zone wins over the number's country; a bad one
	// falls back to the country.
	if d := g.Decide(now, "America/Los_Angeles", "+4915112345678"); d.Now || !d.Retry.Equal(utc("2026-12-07T17:00:00Z")) {
		t.Errorf("contact zone: %+v", d)
	}
	if d := g.Decide(now, "Nowhere/City", "+4915112345678"); !d.Now {
		t.Errorf("bad contact zone: %+v", d)
	}
	// A number with no known country reads the fallback zone.
	tokyo, err := time.LoadLocation("Asia/Tokyo") // 19:00 at now
	if err != nil {
		t.Fatal(err)
	}
	g.Fallback = tokyo
	if d := g.Decide(utc("2026-12-07T11:30:00Z"), "", "+999123"); d.Now || !d.Retry.Equal(utc("2026-12-08T00:00:00Z")) {
		t.Errorf("fallback zone: %+v", d)
	}
}

func TestSchedulePacing(t *testing.T) {
	g := NewSchedule(Timing{Rate: 6}, nil) // one every 10 s
	now := utc("2026-12-07T10:00:00Z")
	var queued []Decision
	for i := 0; i < 20; i++ {
		d := g.Decide(now, "", "+4915112345678")
		if !d.Now {
			// Beyond the lookahead: the recipient comes back at its slot.
			if !d.Retry.Equal(now.Add(70 * time.Second)) {
				t.Fatalf("recipient %d: retry %v", i, d.Retry)
			}
			break
		}
		queued = append(queued, d)
	}
	// Slots 0 s to 60 s: seven messages within the minute ahead.
	if len(queued) != 7 {
		t.Fatalf("queued %d ahead, want 7", len(queued))
	}
	for i, d := range queued {
		want := now.Add(time.Duration(i) * 10 * time.Second)
		if i == 0 && !d.SendAfter.IsZero() || i > 0 && !d.SendAfter.Equal(want) {
			t.Errorf("message %d send after %v, want %v", i, d.SendAfter, want)
		}
	}
	// A minute on, the next slot is free again.
	if d := g.Decide(now.Add(time.Minute), "", "+4915112345678"); !d.Now || !d.SendAfter.Equal(now.Add(70*time.Second)) {
		t.Errorf("a minute on: %+v", d)
	}
}

// TestSchedulePaceMeetsWindow: a slot past the close is not queued to expire;
// the recipient waits for the next opening and takes no slot.
func TestSchedulePaceMeetsWindow(t *testing.T) {
	g := NewSchedule(Timing{Rate: 1, Window: &Window{"09:00", "20:00"}}, nil)
	g.Lookahead = time.Hour
	now := utc("2026-12-07T18:58:30Z") // 19:58:30 in Berlin
	a := g.Decide(now, "Europe/Berlin", "")
	b := g.Decide(now, "Europe/Berlin", "")
	c := g.Decide(now, "Europe/Berlin", "")
	if !a.Now || !b.Now || !b.SendAfter.Equal(now.Add(time.Minute)) {
		t.Fatalf("a %+v b %+v", a, b)
	}
	if c.Now || !c.Retry.Equal(utc("2026-12-08T08:00:00Z")) {
		t.Errorf("c %+v, want to wait for 09:00 Berlin", c)
	}
	if !g.Pacer.Next.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("c took a slot: next %v", g.Pacer.Next)
	}
}

func TestScheduleQuota(t *testing.T) {
	now := utc("2026-12-07T10:00:00Z")
	if n, _ := NewSchedule(Timing{}, nil).Quota(now); n != Unlimited {
		t.Errorf("unpaced quota %d", n)
	}
	g := NewSchedule(Timing{Rate: 6}, nil)
	if n, _ := g.Quota(now); n != 7 {
		t.Fatalf("quota %d, want the 7 slots 0 s to 60 s", n)
	}
	for i := 0; i < 7; i++ {
		if d := g.Decide(now, "", "+4915112345678"); !d.Now {
			t.Fatalf("message %d within the quota refused: %+v", i, d)
		}
	}
	if n, next := g.Quota(now); n != 0 || !next.Equal(now.Add(10*time.Second)) {
		t.Errorf("spent quota: %d, next %v", n, next)
	}
	if n, _ := g.Quota(now.Add(10 * time.Second)); n != 1 {
		t.Errorf("10 s on: %d", n)
	}
}

// BenchmarkScheduleDecide: the window's answer for one recipient, as the
// feeder asks it for each of a launch's recipients.
func BenchmarkScheduleDecide(b *testing.B) {
	g := NewSchedule(Timing{Window: &Window{"09:00", "20:00"}}, nil)
	now := utc("2026-12-07T10:00:00Z")
	zones := []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		g.Decide(now, zones[i%len(zones)], "")
	}
}
