package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/queue"
	"smsgw/store/postgres"
	"smsgw/store/postgres/pgtest"
)

// TestFleetFigures measures the fleet's figures on this machine with the
// PostgreSQL of SMSGW_TEST_POSTGRES (`make fleet-figures`; skipped
// otherwise):
//   - durable accepts/s from 16 connections through one gateway, and
//     through three at once (messages held by send_at, so only the
//     accepts load the database);
//   - claim latency (TryClaim, as a modem worker calls it) p50/p99 with
//     1,000,000 messages queued (SMSGW_FLEET_QUEUED changes the count).
//
// The time from a gateway's death to its work being sent by the others is
// what TestFleetGatewayKilled logs.
func TestFleetFigures(t *testing.T) {
	if os.Getenv("SMSGW_FLEET_FIGURES") != "1" {
		t.Skip("figures: set SMSGW_FLEET_FIGURES=1 (make fleet-figures)")
	}
	skipFleet(t)
	t.Run("accepts", func(t *testing.T) {
		r := newFleet(t, fleetDSN(t), 3)
		n := 4000
		one := r.accepts(n, r.gws[:1], "one")
		three := r.accepts(n, r.gws, "three")
		t.Logf("FIGURE durable accepts from 16 connections: through one gateway %s; through three at once %s", one, three)
	})
	t.Run("claim", func(t *testing.T) {
		queued := 1_000_000
		if n, err := strconv.Atoi(os.Getenv("SMSGW_FLEET_QUEUED")); err == nil && n > 0 {
			queued = n
		}
		claimLatency(t, queued)
	})
}

// accepts posts n single-recipient messages from 16 connections spread
// over gws and returns the rate and latency percentiles.
func (r *fleetRig) accepts(n int, gws []*fleetGW, label string) string {
	r.t.Helper()
	hold := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	start := time.Now()
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := gws[w%len(gws)]
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				err := g.c.do(context.Background(), "POST", "/v1/messages", map[string]any{
					"to": []string{fmt.Sprintf("+4915114%06d", i)}, "text": "figures " + label + " " + strconv.Itoa(i), "send_at": hold,
				}, nil)
				lat[i] = time.Since(t0)
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		r.fail("accepts through %s: %v", label, err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return fmt.Sprintf("%.0f/s (p50 %v, p99 %v, %d requests)", float64(n)/took.Seconds(),
		lat[n/2].Round(10*time.Microsecond), lat[n*99/100].Round(10*time.Microsecond), n)
}

// claimLatency fills a database with queued messages and times claims
// (each attempt then ended as sent, as a worker does, outside the timing).
func claimLatency(t *testing.T, queued int) {
	dsn := pgtest.DSN(t, t.Name())
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn, queue.Options{Node: "figures"}, postgres.Options{NoHousekeeper: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	to := make([]string, 1000)
	for i := range to {
		to[i] = fmt.Sprintf("+491511%07d", i)
	}
	start := time.Now()
	for left := queued; left > 0; left -= len(to) {
		if _, err := st.Enqueue(ctx, queue.NewMessage{To: to[:min(len(to), left)], Text: "queued"}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d messages queued in %v", queued, time.Since(start).Round(time.Second))
	const claims = 2000
	lat := make([]time.Duration, claims)
	co := queue.ClaimOptions{Modem: "m1"}
	for i := range lat {
		t0 := time.Now()
		j, err := st.TryClaim(ctx, co)
		lat[i] = time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.MarkSent(ctx, j.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: i % 256}); err != nil {
			t.Fatal(err)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("FIGURE claim latency with %d queued: p50 %v, p99 %v, max %v (%d claims)", queued,
		lat[claims/2].Round(time.Microsecond), lat[claims*99/100].Round(time.Microsecond), lat[claims-1].Round(time.Microsecond), claims)
}
