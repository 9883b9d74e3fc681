package storetest

import (
	"context"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// testNodeRegister: each gateway's beat replaces its own entry (its modems
// as it last saw them) and leaves the others'; every gateway reads every
// entry, and a silent one goes stale after its lease. One that leaves is
// stopped at once, until it beats again.
func testNodeRegister(t *testing.T, d driver) {
	ctx := context.Background()
	a, clk := d.testStore(t, queue.Options{Node: "a"})
	b := d.reopen(t, queue.Options{Node: "b", Now: clk.Now})
	na, ok := a.(queue.Nodes)
	if !ok {
		t.Fatalf("%T does not implement queue.Nodes", a)
	}
	nb := b.(queue.Nodes)
	// Only a's and b's entries count: a driver's test harness may have
	// registered a node of its own when it prepared the database.
	ours := func(ns []queue.Node, err error) ([]queue.Node, error) {
		var out []queue.Node
		for _, n := range ns {
			if n.Name == "a" || n.Name == "b" {
				out = append(out, n)
			}
		}
		return out, err
	}
	// A driver may register a node when it opens; it has no modems then.
	ns, err := ours(na.Nodes(ctx))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if len(n.Modems) != 0 {
			t.Fatalf("Nodes before any beat = %+v; want no modems", ns)
		}
	}
	dbm := -71
	if err := na.Beat(ctx, []smsgw.ModemStatus{{ID: "a1", State: "ready", Registration: "home", SignalDBM: &dbm, Tags: []string{"otp"}}, {ID: "a2", State: "offline"}}); err != nil {
		t.Fatal(err)
	}
	t0 := clk.Now()
	clk.Advance(5 * time.Second)
	if err := nb.Beat(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ns, err = ours(nb.Nodes(ctx))
	if err != nil || len(ns) != 2 || ns[0].Name != "a" || ns[1].Name != "b" {
		t.Fatalf("Nodes = %+v, %v; want a and b", ns, err)
	}
	if !ns[0].BeatAt.Equal(t0) || len(ns[0].Modems) != 2 || ns[0].Modems[0].ID != "a1" ||
		ns[0].Modems[0].SignalDBM == nil || *ns[0].Modems[0].SignalDBM != -71 || ns[0].Modems[0].Tags[0] != "otp" {
		t.Fatalf("a's entry = %+v; want its beat at %v with modems a1 (-71 dBm, otp) and a2", ns[0], t0)
	}
	if len(ns[1].Modems) != 0 {
		t.Fatalf("b's entry = %+v; want no modems", ns[1])
	}
	lease := 30 * time.Second
	if now := clk.Now(); !ns[0].Alive(now, lease) || !ns[1].Alive(now, lease) {
		t.Fatalf("both beat within the lease, yet alive = %v, %v", ns[0].Alive(now, lease), ns[1].Alive(now, lease))
	}
	// a beats again with one modem fewer; b falls silent.
	clk.Advance(lease)
	if err := na.Beat(ctx, []smsgw.ModemStatus{{ID: "a1", State: "ready"}}); err != nil {
		t.Fatal(err)
	}
	ns, err = ours(na.Nodes(ctx))
	if err != nil || len(ns) != 2 {
		t.Fatalf("Nodes = %+v, %v", ns, err)
	}
	now := clk.Now()
	if len(ns[0].Modems) != 1 || !ns[0].Alive(now, lease) {
		t.Fatalf("a after its second beat = %+v (alive %v); want one modem, alive", ns[0], ns[0].Alive(now, lease))
	}
	if ns[1].Alive(now, lease) {
		t.Fatalf("b, silent for %v, still alive with a %v lease", now.Sub(ns[1].BeatAt), lease)
	}
	if ns[0].Stopped() || ns[1].Stopped() {
		t.Fatalf("neither left, yet stopped = %v, %v", ns[0].Stopped(), ns[1].Stopped())
	}

	// a leaves (a graceful stop): it is stopped at once, well within its
	// lease, keeping its modems and last beat; b's entry is untouched.
	clk.Advance(time.Second)
	left := clk.Now()
	if err := na.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	ns, err = ours(nb.Nodes(ctx))
	if err != nil || len(ns) != 2 {
		t.Fatalf("Nodes after a left = %+v, %v", ns, err)
	}
	now = clk.Now()
	if !ns[0].Stopped() || !ns[0].StoppedAt.Equal(left) || ns[0].Alive(now, lease) || !ns[0].BeatAt.Equal(left.Add(-time.Second)) || len(ns[0].Modems) != 1 {
		t.Fatalf("a after it left = %+v (alive %v); want stopped at %v, not alive, its last beat and modem kept", ns[0], ns[0].Alive(now, lease), left)
	}
	if ns[1].Stopped() {
		t.Fatalf("b after a left = %+v; want it not stopped", ns[1])
	}
	// a starts again: its first beat clears the stop.
	clk.Advance(time.Second)
	if err := na.Beat(ctx, []smsgw.ModemStatus{{ID: "a1", State: "ready"}}); err != nil {
		t.Fatal(err)
	}
	ns, err = ours(nb.Nodes(ctx))
	if err != nil || len(ns) != 2 {
		t.Fatalf("Nodes after a beat again = %+v, %v", ns, err)
	}
	if now := clk.Now(); ns[0].Stopped() || !ns[0].StoppedAt.IsZero() || !ns[0].Alive(now, lease) {
		t.Fatalf("a after beating again = %+v (alive %v); want alive, not stopped", ns[0], ns[0].Alive(now, lease))
	}
}
