package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/hooks"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// TestHookMetricsCountSkipped: events a hook filters out (a script only
// takes received messages, Kannel delivery reports only sent ones) are
// counted as skipped, not as delivered.
func TestHookMetricsCountSkipped(t *testing.T) {
	prog, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	r := newRig(t, rigOptions{modems: 2, opts: func(c *Options) { c.Inbound.Exec = []string{prog} }})
	r.stop()
	var mu sync.Mutex
	counts := map[string]int{}
	var dlrKinds []string
	st, err := sqlite.Open(r.db, QueueOptions(r.opts), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := r.opts
	o.Store, o.Webhooks, o.WebhookImport = st, st, filepath.Join(r.dir, "webhooks.json")
	o.HookDelivery = func(hook string, ok bool) {
		mu.Lock()
		defer mu.Unlock()
		if ok {
			counts[hook+" ok"]++
		} else {
			counts[hook+" failed"]++
		}
	}
	o.HookSkipped = func(hook string) {
		mu.Lock()
		defer mu.Unlock()
		counts[hook+" skipped"]++
	}
	// The Kannel dlr-url consumer, every report asking for a callback.
	cb := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer cb.Close()
	dlr, err := hooks.NewKannelDLR(hooks.KannelDLROptions{Client: cb.Client(),
		Target: func(_ context.Context, ev smsgw.Event) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			dlrKinds = append(dlrKinds, ev.Event)
			return cb.URL + "/dlr", nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	o.Consumers = append(o.Consumers, dlr.Consumer(1))
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.g = st, g
	t.Cleanup(r.stop)
	r.waitReady(2)
	ids := r.enqueue(queue.NewMessage{To: []string{r.modems[1].Number()}, Text: "count me", Modem: "sim0", Report: true})
	r.waitStates([]int64{ids[0].ID}, 30*time.Second, smsgw.StateDelivered)
	r.waitFor("the script and the skips", 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return counts["exec ok"] == 1 && counts["exec skipped"] == 2 &&
			counts["kannel-dlr ok"] == 2 && counts["kannel-dlr skipped"] == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if counts["exec failed"] != 0 || counts["exec ok"] != 1 || counts["kannel-dlr failed"] != 0 {
		t.Fatalf("counts %v", counts)
	}
	for _, k := range dlrKinds {
		if k == smsgw.EventReceived {
			t.Fatalf("the Kannel DLR hook got %v", dlrKinds)
		}
	}
}
