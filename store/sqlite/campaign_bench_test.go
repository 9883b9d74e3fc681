package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/campaign"
	"smsgw/queue"
)

// BenchmarkLaunch100k: the launch of a campaign to 100,000 recipients (an
// uploaded CSV, a personalised template), from launch to every recipient
// queued: the audience expanded into recipients, and the feeder moving
// them into the queue in batches, each message committed with its
// recipient's mark. Target: at most 10 s (reported as s/launch).
func BenchmarkLaunch100k(b *testing.B) {
	const n = 100000
	var csv strings.Builder
	csv.WriteString("number,name,city\n")
	for i := range n {
		fmt.Fprintf(&csv, "+4915%09d,Person %d,Bonn\n", i, i)
	}
	spec := campaign.Spec{Name: "bench", Template: "Hi {{name}}, our spring sale in {{fields.city}} starts today!",
		Audience: campaign.Audience{CSV: csv.String()}}
	if err := spec.Normalize(time.Now(), time.UTC); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		st := benchStore(b, SyncFull, queue.AtLeastOnce)
		c, err := st.AddCampaign(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		f := campaign.NewFeeder(campaign.FeederOptions{Store: st, Expander: campaign.Expander{}, Logger: quiet})
		f.Start()
		b.StartTimer()
		start := time.Now()
		if _, err := st.SetCampaignState(ctx, c.ID, []campaign.State{campaign.StateDraft}, campaign.StateRunning, ""); err != nil {
			b.Fatal(err)
		}
		f.Wake()
		for {
			_, idle := f.Passes()
			<-idle
			got, err := st.Campaign(ctx, c.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Expanded && got.Counts.Pending == 0 {
				if got.Counts.Queued != n {
					b.Fatalf("counts %+v", got.Counts)
				}
				break
			}
			f.Wake()
		}
		total += time.Since(start)
		b.StopTimer()
		f.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/launch")
}
