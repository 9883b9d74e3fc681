package gateway

import (
	"context"
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
