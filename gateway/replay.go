package gateway

import (
	"context"
	"fmt"
	"strconv"

	"smsgw"
	"smsgw/queue"
)

// EventsAfter implements the HTTP API's EventLog: the events of the durable outbox
// that follow the one with id after, oldest first, in the form the event
// stream and the webhooks carry them. Outbox entries no consumer sees
// (cancellations, for one) are skipped but still count towards limit, so
// the caller pages on with the id of the last entry read, returned as next.
func (g *Gateway) EventsAfter(ctx context.Context, after string, limit int) ([]smsgw.Event, string, error) {
	n, err := strconv.ParseInt(after, 10, 64)
	if err != nil || n < 0 {
		return nil, after, fmt.Errorf("event id %q: %w", after, smsgw.ErrNotFound)
	}
	list, err := g.store.Events(ctx, n, limit)
	if err != nil {
		return nil, after, err
	}
	out := make([]smsgw.Event, 0, len(list))
	next := after
	for _, e := range list {
		next = strconv.FormatInt(e.ID, 10)
		ev, ok, err := g.hookEvent(ctx, queue.Delivery{Event: e})
		if err != nil {
			return nil, after, err
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, next, nil
}
