package queue

import (
	"context"
	"time"

	"smsgw"
)

// Node is one gateway as the database knows it: its name, when it last
// beat, its modems as it last reported them, and when it left if it was
// stopped on purpose after that beat.
type Node struct {
	Name   string
	BeatAt time.Time
	Modems []smsgw.ModemStatus
	// StoppedAt is when the node left (a graceful stop); zero while it
	// runs or when it died without leaving. Its next beat clears it.
	StoppedAt time.Time
}

// Stopped reports whether the node left on purpose and has not beaten since.
func (n Node) Stopped() bool { return !n.StoppedAt.IsZero() }

// Alive reports whether the node beat within lease of now and has not
// left since: a gateway beats every third of its lease, so one silent for
// a whole lease is taken for dead (its claims are taken over at the same
// moment); one that left is not alive, even before its beat ages out.
func (n Node) Alive(now time.Time, lease time.Duration) bool {
	return !n.BeatAt.IsZero() && !n.Stopped() && now.Sub(n.BeatAt) < lease
}

// Nodes is the register of the gateways sharing a database, from which
// every gateway shows the whole fleet's modems.
type Nodes interface {
	// Beat records that this store's node (Options.Node) is alive now,
	// with its modems as it sees them; the previous list is replaced.
	Beat(ctx context.Context, modems []smsgw.ModemStatus) error
	// Leave records that this store's node stopped on purpose now (after
	// it stopped claiming work), so the others show it stopped rather
	// than alive until its beat ages out. Its next Beat clears it.
	Leave(ctx context.Context) error
	// Nodes returns every node that ever beat, by name.
	Nodes(ctx context.Context) ([]Node, error)
}
