package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"smsgw"
	"smsgw/gateway"
	"smsgw/queue"
)

// fleet keeps this gateway's entry in the database's register of gateways
// (a beat every third of the lease, with its modems) and answers the
// fleet-wide modem list from it.
type fleet struct {
	gw    *gateway.Gateway
	nodes queue.Nodes
	node  string
	lease time.Duration
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	conflict map[string]bool // modem ids already reported as taken by another live gateway
}

func newFleet(gw *gateway.Gateway, nodes queue.Nodes, node string, lease time.Duration, log *slog.Logger) *fleet {
	return &fleet{gw: gw, nodes: nodes, node: node, lease: lease, log: log, now: time.Now, conflict: map[string]bool{}}
}

// checkUnique refuses modem ids that a live gateway on the same database
// already has: messages routed to a modem id would otherwise go out over
// whichever of the two claimed them first. A dead gateway's ids are free:
// its modem may have been moved to this box.
func checkUnique(ctx context.Context, nodes queue.Nodes, node string, lease time.Duration, ids []string) error {
	ns, err := nodes.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("read the register of gateways: %w", err)
	}
	now := time.Now()
	var errs []error
	for _, id := range ids {
		for _, n := range ns {
			if n.Name == node || !n.Alive(now, lease) {
				continue
			}
			for _, m := range n.Modems {
				if m.ID == id {
					errs = append(errs, fmt.Errorf("modem id %q is already used by gateway %q, which is alive (it beat %s ago): "+
						"modem ids must be unique across the gateways sharing a database; rename one of them ([[modem]] id)",
						id, n.Name, now.Sub(n.BeatAt).Round(time.Second)))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// run beats at once and then every third of the lease until ctx ends.
func (f *fleet) run(ctx context.Context) {
	t := time.NewTicker(f.lease / 3)
	defer t.Stop()
	for {
		f.beat(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *fleet) beat(ctx context.Context) {
	ms, err := f.gw.Modems(ctx)
	if err != nil {
		return
	}
	if err := f.nodes.Beat(ctx, ms); err != nil {
		if ctx.Err() == nil {
			f.log.Warn("recording this gateway's heartbeat failed", "err", err)
		}
		return
	}
	// Modems found after the start (autodetected) are checked here.
	ns, err := f.nodes.Nodes(ctx)
	if err != nil {
		return
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range ns {
		if n.Name == f.node || !n.Alive(now, f.lease) {
			continue
		}
		for _, m := range n.Modems {
			for _, own := range ms {
				if own.ID == m.ID && !f.conflict[n.Name+"\x00"+m.ID] {
					f.conflict[n.Name+"\x00"+m.ID] = true
					f.log.Error("modem id used by two gateways: messages routed to it go out over either; rename one",
						"modem", m.ID, "other_node", n.Name)
				}
			}
		}
	}
}

// FleetModems lists every gateway's modems: this one's live, the others'
// as they last reported them, marked by node and whether it is alive. A
// gateway silent for a whole lease is taken for dead: its modems show
// offline, registration unknown, last seen at its last beat. One that
// left (a graceful stop) shows its modems stopped, with when it left,
// until it beats again. When the
// database cannot be read, this gateway's own modems are listed alone.
func (f *fleet) FleetModems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	own, err := f.gw.Modems(ctx)
	if err != nil {
		return nil, err
	}
	alive := true
	out := make([]smsgw.ModemStatus, 0, len(own))
	for _, m := range own {
		m.Node, m.NodeAlive = f.node, &alive
		out = append(out, m)
	}
	ns, err := f.nodes.Nodes(ctx)
	if err != nil {
		f.log.Debug("the register of gateways cannot be read; listing this gateway's modems alone", "err", err)
		return out, nil
	}
	now := f.now()
	for _, n := range ns {
		if n.Name == f.node {
			continue
		}
		live := n.Alive(now, f.lease)
		beat, stopped := n.BeatAt, n.StoppedAt
		for _, m := range n.Modems {
			m.Node, m.NodeAlive = n.Name, &live
			m.SignalHistory = nil
			switch {
			case n.Stopped():
				m.State, m.Registration, m.LastSeen, m.NodeStoppedAt = "stopped", "unknown", &beat, &stopped
			case !live:
				m.State, m.Registration, m.LastSeen = "offline", "unknown", &beat
			}
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// fleetModems is the gateway as the API's modem source, with the requests
// that only a modem's own gateway can serve (USSD, reset) answered with a
// clear conflict for another gateway's modem.
type fleetModems struct {
	*gateway.Gateway
	f *fleet
}

func (m fleetModems) Modems(ctx context.Context) ([]smsgw.ModemStatus, error) {
	ms, err := m.Gateway.Modems(ctx)
	alive := true
	for i := range ms {
		ms[i].Node, ms[i].NodeAlive = m.f.node, &alive
	}
	return ms, err
}

func (m fleetModems) Modem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	st, err := m.Gateway.Modem(ctx, id)
	if err == nil {
		alive := true
		st.Node, st.NodeAlive = m.f.node, &alive
	}
	return st, err
}

func (m fleetModems) USSD(ctx context.Context, id, code string) (string, error) {
	r, err := m.Gateway.USSD(ctx, id, code)
	return r, m.elsewhere(ctx, id, err)
}

func (m fleetModems) ResetModem(ctx context.Context, id string) (smsgw.ModemStatus, error) {
	st, err := m.Gateway.ResetModem(ctx, id)
	return st, m.elsewhere(ctx, id, err)
}

// elsewhere turns "no such modem here" into a conflict naming the gateway
// that has it.
func (m fleetModems) elsewhere(ctx context.Context, id string, err error) error {
	if !errors.Is(err, smsgw.ErrNotFound) {
		return err
	}
	ms, ferr := m.f.FleetModems(ctx)
	if ferr != nil {
		return err
	}
	for _, x := range ms {
		if x.ID == id && x.Node != m.f.node {
			return fmt.Errorf("%w: modem %q belongs to gateway %q: send the request to that gateway's API", smsgw.ErrConflict, id, x.Node)
		}
	}
	return err
}
