package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"smsgw"
	"smsgw/modem/pool"
	"smsgw/modem/sim"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// crashChild is the configuration the parent hands to the daemon it kills.
type crashChild struct {
	DB    string
	Ports []string
}

// TestCrashChild is not a test on its own: the crash test runs it in a
// child process as the daemon, and kills it.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv("SMSGW_CRASH_CHILD")
	if spec == "" {
		t.Skip("run by TestSIGKILLMidRun as its child process")
	}
	var c crashChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Logger = testLogger(t)
	o.Retry.Backoff = 50 * time.Millisecond
	o.Retry.MaxBackoff = 200 * time.Millisecond
	for i, p := range c.Ports {
		o.Modems = append(o.Modems, ModemOptions{Spec: pool.Spec{ID: fmt.Sprintf("sim%d", i), Port: p, Baud: 115200}})
	}
	st, err := sqlite.Open(c.DB, QueueOptions(o), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o.Store = st
	// Caught before New starts the gateway: a SIGTERM that comes early
	// still stops it gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := g.Close(sctx); err != nil {
		t.Error(err)
	}
	if err := st.Close(sctx); err != nil {
		t.Error(err)
	}
}

// The daemon is killed with SIGKILL in the middle of sending, then
// started again: every accepted message is sent, at most the part on the
// wire of each modem goes twice, and messages that reached the SIM while
// the daemon was dead are collected.
func TestSIGKILLMidRun(t *testing.T) {
	if os.Getenv("SMSGW_CRASH_CHILD") != "" {
		t.Skip("child")
	}
	dir := t.TempDir()
	net := sim.NewNetwork(sim.NetworkOptions{})
	defer net.Close(context.Background())
	var ports []string
	var modems []*sim.Modem
	for i := 0; i < 2; i++ {
		m, err := net.AddModem(context.Background(), sim.Options{Dir: dir, Name: fmt.Sprintf("sim%d", i), SubmitDelay: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ports, modems = append(ports, m.Path()), append(modems, m)
	}
	db := filepath.Join(dir, "smsgw.db")
	const total = 60
	qo := DefaultOptions()
	qo.Logger = testLogger(t)
	st, err := sqlite.Open(db, QueueOptions(qo), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < total; i++ {
		if _, err := st.Enqueue(context.Background(), queue.NewMessage{To: []string{"+15557770009"}, Text: fmt.Sprintf("crash-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	spec, _ := json.Marshal(crashChild{DB: db, Ports: ports})
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SMSGW_CRASH_CHILD="+string(spec))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	child := start()
	if _, err := net.WaitSubmitted(ctx, total/3); err != nil {
		child.Process.Kill()
		t.Fatal(err)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()

	// While it is dead, messages arrive and wait on the SIM.
	for i := 0; i < 2; i++ {
		if err := net.Deliver(modems[1].Number(), "+4915100000000", fmt.Sprintf("while down %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	child = start()
	waitUntil(t, ctx, "every message submitted", func() bool {
		seen := map[string]bool{}
		for _, s := range net.Submitted() {
			txt, _ := s.Text()
			seen[txt] = true
		}
		return len(seen) == total && len(modems[1].Messages()) == 0
	})
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("child after SIGTERM: %v", err)
	}

	st, err = sqlite.Open(db, QueueOptions(qo), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[smsgw.StateSent] != total {
		t.Errorf("states after the crash and restart: %v, want %d sent", counts, total)
	}
	in, err := st.Inbox(context.Background(), queue.InboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Messages) != 2 {
		t.Errorf("inbox has %d messages, want the 2 that arrived while down", len(in.Messages))
	}
	perText := map[string]int{}
	for _, s := range net.Submitted() {
		txt, _ := s.Text()
		perText[txt]++
	}
	dups := 0
	for _, n := range perText {
		dups += n - 1
	}
	if dups > len(modems) {
		t.Errorf("%d duplicate submits, want at most one per modem (the part on the wire)", dups)
	}
	t.Logf("duplicates caused by the crash: %d", dups)
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
