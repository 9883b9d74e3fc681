package gateway

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// TestHeartbeatTakesOverExpiredLease: a message another gateway left
// sending on the shared database is not taken while that gateway's lease
// runs, and is sent here once it has run out, found by this gateway's
// heartbeat (not by its Open).
func TestHeartbeatTakesOverExpiredLease(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.stop()

	qa := QueueOptions(r.opts)
	qa.Node, qa.Lease, qa.Logger = "a", 5*time.Second, r.log
	a, err := sqlite.Open(r.db, qa, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := a.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Text: "orphan"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Messages[0].ID
	if j, err := a.TryClaim(ctx, queue.ClaimOptions{Modem: "elsewhere"}); err != nil || j.ID != id {
		t.Fatalf("node a claimed %+v, %v", j, err)
	}
	// Node a dies: it never renews nor finishes the attempt.
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}

	r.opts.Node, r.opts.Lease = "b", 300*time.Millisecond
	r.start()
	r.waitStates([]int64{id}, 60*time.Second, smsgw.StateSent)
	m := r.get(id)
	if len(m.AttemptLog) != 2 || m.AttemptLog[0].Outcome != "interrupted" ||
		m.AttemptLog[0].Error != "the gateway sending it stopped renewing its lease" || m.AttemptLog[1].Modem != "sim0" {
		t.Fatalf("attempts %+v: want node a's interrupted by an expired lease, then sim0's", m.AttemptLog)
	}
}

// outageStore is a real store whose lease renewals fail while down is set,
// as they do while the database cannot be reached.
type outageStore struct {
	queue.Storage
	down    atomic.Bool
	renewed atomic.Int64 // renewals that went through
}

func (o *outageStore) RenewLeases(ctx context.Context) error {
	if o.down.Load() {
		return fmt.Errorf("renew: %w", smsgw.ErrUnavailable)
	}
	o.renewed.Add(1)
	return o.Storage.RenewLeases(ctx)
}

// TestHeartbeatAfterOutageSparesLiveGateways: after an outage of the
// database longer than the lease, every gateway's leases have run out. A
// gateway whose renewals work again must not take the messages another
// live gateway is still sending: it waits a whole lease of working
// renewals first, in which the other renews its own.
func TestHeartbeatAfterOutageSparesLiveGateways(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.stop()
	const lease = time.Second
	qa := QueueOptions(r.opts)
	qa.Node, qa.Lease, qa.Logger = "a", lease, r.log
	a, err := sqlite.Open(r.db, qa, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	ctx := context.Background()
	res, err := a.Enqueue(ctx, queue.NewMessage{To: []string{"+4915112345678"}, Text: "on a's wire"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Messages[0].ID
	if j, err := a.TryClaim(ctx, queue.ClaimOptions{Modem: "elsewhere"}); err != nil || j.ID != id {
		t.Fatalf("node a claimed %+v, %v", j, err)
	}

	// Gateway b starts during the outage: its renewals fail.
	r.opts.Node, r.opts.Lease = "b", lease
	qb := QueueOptions(r.opts)
	st, err := sqlite.Open(r.db, qb, r.dopts)
	if err != nil {
		t.Fatal(err)
	}
	out := &outageStore{Storage: st}
	out.down.Store(true)
	g, err := New(r.gatewayOptions(out))
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.g = st, g
	t.Cleanup(r.stop)
	time.Sleep(lease + lease/2) // the outage outlasts a's lease; nothing to wait on
	// The database is back: a renews as a live gateway does (every third
	// of its lease) while b's renewals go through again.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(lease / 3)
		defer tk.Stop()
		for {
			if err := a.RenewLeases(ctx); err != nil {
				t.Errorf("a's renewal: %v", err)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	}()
	out.down.Store(false)
	// Several of b's heartbeats after the outage, across more than a
	// lease: a's message stays a's.
	r.waitFor("b's renewals across two leases", 30*time.Second, func() bool { return out.renewed.Load() >= 7 })
	close(stop)
	<-done
	m := r.get(id)
	if m.State != smsgw.StateSending || len(m.AttemptLog) != 1 || m.AttemptLog[0].Outcome != "" {
		t.Fatalf("a's message after the outage: %s, attempts %+v; want still a's, sending", m.State, m.AttemptLog)
	}
}
