package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"smsgw/api"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"smsgw"
)

// loadResult is what the load generator process reports.
type loadResult struct {
	Accepted int     `json:"accepted"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"per_second"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	Conns    int     `json:"connections"`
}

// TestLoad measures POST /v1/messages from a second process on loopback:
// 16 keep-alive connections, every 202 durably committed (the queue's
// default full sync). Bounded in count and time; run with
//
//	SMSGW_LOAD=1 go test -run TestLoad -v ./api
//
// (SMSGW_LOAD_N sets the message count, default 20000.)
func TestLoad(t *testing.T) {
	if os.Getenv("SMSGW_LOADGEN_URL") != "" {
		loadGenerator(t)
		return
	}
	if os.Getenv("SMSGW_LOAD") == "" {
		t.Skip("set SMSGW_LOAD=1 to run the load test")
	}
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("SMSGW_LOAD_N")); err == nil && v > 0 {
		n = v
	}
	e := newEnv(t, api.Options{})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoad$", "-test.v=false")
	cmd.Env = append(os.Environ(), "SMSGW_LOADGEN_URL="+srv.URL, "SMSGW_LOAD_N="+strconv.Itoa(n))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cpu0 := cpuTime()
	if err := cmd.Run(); err != nil {
		t.Fatalf("load generator: %v\n%s\n%s", err, out.String(), errb.String())
	}
	serverCPU := cpuTime() - cpu0
	var res loadResult
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		if bytes.HasPrefix(line, []byte("LOAD ")) {
			json.Unmarshal(line[5:], &res)
		}
	}
	if res.Accepted == 0 {
		t.Fatalf("no result:\n%s", out.String())
	}
	counts, err := e.Store.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if counts[smsgw.StateQueued] != int64(res.Accepted) {
		t.Fatalf("queue holds %d, generator saw %d accepted", counts[smsgw.StateQueued], res.Accepted)
	}
	t.Logf("%d accepted in %.2fs = %.0f msg/s over %d connections; latency p50 %.2f ms, p99 %.2f ms; %d errors; server CPU %.1f µs per message",
		res.Accepted, res.Seconds, res.PerSec, res.Conns, res.P50ms, res.P99ms, res.Errors,
		float64(serverCPU.Microseconds())/float64(res.Accepted))
}

// loadGenerator is the second process: it posts until the count or 60 s.
func loadGenerator(t *testing.T) {
	url := os.Getenv("SMSGW_LOADGEN_URL")
	n, _ := strconv.Atoi(os.Getenv("SMSGW_LOAD_N"))
	const conns = 16
	var mu sync.Mutex
	var lats []time.Duration
	errs := 0
	next := make(chan int, conns)
	go func() {
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
	}()
	deadline := time.Now().Add(60 * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
			local := make([]time.Duration, 0, n/conns+1)
			bad := 0
			for i := range next {
				if time.Now().After(deadline) {
					break
				}
				body := fmt.Sprintf(`{"to":"+49151%08d","text":"load test message %d"}`, i, i)
				t0 := time.Now()
				resp, err := hc.Post(url+"/v1/messages", "application/json", bytes.NewBufferString(body))
				if err != nil {
					bad++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					bad++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	pct := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000
	}
	b, _ := json.Marshal(loadResult{Accepted: len(lats), Errors: errs, Seconds: el.Seconds(), PerSec: float64(len(lats)) / el.Seconds(), P50ms: pct(0.50), P99ms: pct(0.99), Conns: conns})
	fmt.Printf("LOAD %s\n", b)
}

// cpuTime is this process's user+system CPU time: the server side of the
// load test (handler and queue), whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
