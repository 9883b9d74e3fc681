package queue

import (
	"context"
	"time"

	"smsgw"
)

// Node is one gateway as the database knows it: its name, when it last
// beat, and its modems as it last reported them.
type Node struct {
	Name   string
	BeatAt time.Time
	Modems []smsgw.ModemStatus
}

// Alive reports whether the node beat within lease of now: a gateway
// beats every third of its lease, so one silent for a whole lease is
// taken for dead (its claims are taken over at the same moment).
func (n Node) Alive(now time.Time, lease time.Duration) bool {
	return !n.BeatAt.IsZero() && now.Sub(n.BeatAt) < lease
}

// Nodes is the register of the gateways sharing a database, from which
// every gateway shows the whole fleet's modems.
type Nodes interface {
	// Beat records that this store's node (Options.Node) is alive now,
	// with its modems as it sees them; the previous list is replaced.
	Beat(ctx context.Context, modems []smsgw.ModemStatus) error
	// Nodes returns every node that ever beat, by name.
	Nodes(ctx context.Context) ([]Node, error)
}
