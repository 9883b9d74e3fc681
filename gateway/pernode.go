package gateway

import (
	"context"
	"time"

	"smsgw/queue"
)

// retireAfter is how long a gateway may stay silent before the others
// take it for retired and drop the event consumers it ran for itself.
// Far longer than any outage worth riding out: a gateway back after it
// simply registers them again, from then on.
const retireAfter = 7 * 24 * time.Hour

// node is this gateway's name in the database.
func (g *Gateway) node() string {
	if g.opts.Node != "" {
		return g.opts.Node
	}
	return queue.DefaultNode
}

// nodeRegister reads the register of the gateways sharing the database,
// by name; empty when the store keeps none or cannot be read now (then
// no gateway is taken for retired).
func (g *Gateway) nodeRegister() map[string]queue.Node {
	nr, ok := g.store.(queue.Nodes)
	if !ok {
		return map[string]queue.Node{}
	}
	ctx, cancel := context.WithTimeout(g.runCtx, 10*time.Second)
	defer cancel()
	ns, err := nr.Nodes(ctx)
	if err != nil {
		g.log.Warn("reading the register of gateways", "err", err)
		return map[string]queue.Node{}
	}
	out := make(map[string]queue.Node, len(ns))
	for _, n := range ns {
		out[n.Name] = n
	}
	return out
}

// retiredNode reports whether node has been silent for retireAfter. A
// gateway the register does not know yet is not retired: it may be
// starting, its consumers registered before its first beat.
func retiredNode(register map[string]queue.Node, node string, now time.Time) bool {
	n, ok := register[node]
	return ok && !n.BeatAt.IsZero() && now.Sub(n.BeatAt) > retireAfter
}

// now is the wall clock the node register is read against.
func (g *Gateway) now() time.Time { return time.Now() }

// ownsModem reports whether id is one of this gateway's modems.
func (g *Gateway) ownsModem(id string) bool {
	p := g.pool.Load()
	if p == nil {
		return false
	}
	_, ok := p.Member(id)
	return ok
}
