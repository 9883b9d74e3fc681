package campaign

import (
	"context"
	"errors"
	"time"

	"smsgw"
)

// RunStore is what recurring campaigns need of the campaign store.
type RunStore interface {
	// BeginRun starts the run after run from of a recurring campaign:
	// run from+1, recorded with its scheduled time at and the runs missed
	// before it, its audience not expanded yet, the campaign running. It
	// fails with smsgw.ErrConflict when the campaign is no longer at run
	// from (another pass began it) or is not scheduled or running. The
	// run and its time are committed together, so a restart resumes the
	// run begun and counts the next one from its time: no run is done
	// twice or skipped.
	BeginRun(ctx context.Context, id string, from int, at time.Time, missed int) (Campaign, error)
}

// location is the zone of repeat rules without their own and of
// recipients with none.
func (o FeederOptions) location() *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return time.Local
}

// recur handles a recurring campaign waiting for a run: before its first
// (run 0, whatever its state) or between two (scheduled). It begins the
// run when its time has come and returns the campaign to feed; wait is
// set, with when to look again, while the run's time has not come.
//
// Runs never overlap: the next is considered once the current one is done
// (the store moves the campaign back to scheduled), and a run time passed
// while the run before was still sending counts as missed.
func (f *Feeder) recur(ctx context.Context, c Campaign, now time.Time) (_ Campaign, next time.Time, wait bool, err error) {
	if c.Repeat == "" || (c.Run > 0 && c.State != StateScheduled) {
		return c, time.Time{}, false, nil
	}
	rule, err := ParseRepeat(c.Repeat, f.o.location())
	if err != nil {
		// Validated at creation; a zone the system no longer knows can
		// still fail here.
		_, perr := f.o.Store.PauseCampaign(ctx, c.ID, "repeat: "+err.Error())
		return c, time.Time{}, true, perr
	}
	var last time.Time
	switch {
	case c.Run > 0 && c.RunAt != nil:
		last = *c.RunAt
	case c.LaunchedAt != nil:
		// The first run is the first rule time at or after the start
		// (times are stored to the millisecond).
		last = c.Timing.Start(*c.LaunchedAt).Add(-time.Millisecond)
	default:
		last = now.Add(-time.Millisecond)
	}
	due, missed := rule.Due(last, now)
	if due.IsZero() {
		if c.State == StateRunning {
			// Just launched: it waits for its first run as scheduled.
			if _, err := f.o.Store.SetCampaignState(ctx, c.ID, []State{StateRunning}, StateScheduled, ""); err != nil && !errors.Is(err, smsgw.ErrConflict) {
				return c, time.Time{}, true, err
			}
		}
		return c, rule.After(last), true, nil
	}
	c, err = f.o.Store.BeginRun(ctx, c.ID, c.Run, due, missed)
	if errors.Is(err, smsgw.ErrConflict) {
		return c, time.Time{}, true, nil // it moved on meanwhile; the next pass sees how
	}
	if err != nil {
		return c, time.Time{}, true, err
	}
	f.o.Logger.Info("campaign run started", "campaign", c.ID, "run", c.Run, "due", due, "missed", missed)
	return c, time.Time{}, false, nil
}
