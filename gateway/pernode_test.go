package gateway

import (
	"context"
	"slices"
	"testing"
	"time"

	"smsgw/queue"
	"smsgw/store/sqlite"
)

// On a database shared by several gateways, a gateway registers its own
// consumers under its node's name and, at start, leaves the consumers of
// the other gateways alone, unless their gateway has been silent for
// retireAfter; shared consumers no configuration asks for still go.
func TestSharedConsumersPerNode(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{opts: func(o *Options) {
		o.Shared, o.Node = true, "a"
		o.Inbound.Exec = []string{"true"}
	}})
	beat := func(node string, at time.Time) {
		qo := QueueOptions(r.opts)
		qo.Node, qo.Now = node, func() time.Time { return at }
		st, err := sqlite.Open(r.db, qo, sqlite.Options{NoHousekeeper: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close(ctx)
		if err := st.Beat(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	beat("b", time.Now())
	beat("old", time.Now().Add(-retireAfter-time.Hour))
	for _, n := range []string{"exec@b", "exec@old", "exec@starting", "webhook:cfg-gone"} {
		if err := r.st.AddConsumer(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	r.stop()
	r.start()
	names, err := r.st.Consumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"exec@a", "exec@b", "exec@starting"} {
		if !slices.Contains(names, want) {
			t.Errorf("consumers %v lack %q", names, want)
		}
	}
	for _, gone := range []string{"exec", "exec@old", "webhook:cfg-gone"} {
		if slices.Contains(names, gone) {
			t.Errorf("consumers %v still hold %q", names, gone)
		}
	}
}

var _ queue.Nodes = (*sqlite.Store)(nil)

// With exec_scope = "fleet" the script's consumer is the fleet's one,
// under its plain name, on a shared database too.
func TestSharedExecFleetScope(t *testing.T) {
	r := newRig(t, rigOptions{opts: func(o *Options) {
		o.Shared, o.Node = true, "a"
		o.Inbound.Exec, o.Inbound.ExecFleet = []string{"true"}, true
	}})
	names, err := r.st.Consumers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, "exec") || slices.Contains(names, "exec@a") {
		t.Errorf("consumers %v: want the shared \"exec\" only", names)
	}
}
