package httpd

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// newServer mounts the API on a real queue on a loopback port.
func newServer(t *testing.T, o Options, m *Metrics) *Server {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(t.Context()) })
	o.Backend = api.Backend{Store: api.NewQueueStore(q)}
	if o.Listen.Addr == "" {
		o.Listen.Addr = "127.0.0.1:0"
	}
	s, err := New(o, m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The daemon's own measurements, taken through the recorder before the
// API exists, are served by /metrics beside the API's.
func TestServerServesTheRecordersMetrics(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	m.Recorder.ObserveSend("m1", 1500*time.Millisecond)
	m.Recorder.HookDelivery("exec", false)
	m.Recorder.HookSkipped("webhook:w1")
	var nilRec *Recorder
	nilRec.ObserveSend("m1", time.Second) // a daemon without metrics
	nilRec.HookDelivery("exec", true)

	s := newServer(t, Options{}, m)
	defer s.Close(t.Context())
	code, body := get(t, "http://"+s.Addr()+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`smsgw_send_duration_seconds_bucket{modem="m1",le="2"} 1`,
		`smsgw_send_duration_seconds_bucket{modem="m1",le="1"} 0`,
		`smsgw_hook_deliveries_total{hook="exec",result="failed"} 1`,
		`smsgw_hook_deliveries_total{hook="webhook:w1",result="skipped"} 1`,
		`smsgw_store_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `result="ok"`) {
		t.Error("a nil recorder counted a delivery")
	}
}

// New refuses an exposed address without tokens, as Listen does, and
// takes the token count from the API's own tokens.
func TestServerTokensGuardTheListener(t *testing.T) {
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(t.Context())
	b := api.Backend{Store: api.NewQueueStore(q)}
	if _, err := New(Options{Backend: b, Listen: ListenConfig{Addr: "0.0.0.0:0"}}, nil); !errors.Is(err, ErrInsecureListener) {
		t.Fatalf("exposed without tokens: %v", err)
	}
	s, err := New(Options{
		Tokens:  []Token{{Secret: "s3cret-token-value", Scope: api.ScopeFull}},
		Backend: b, Listen: ListenConfig{Addr: "0.0.0.0:0"},
	}, nil)
	if err != nil {
		t.Fatalf("exposed with a token: %v", err)
	}
	defer s.Close(t.Context())
	_, port, _ := strings.Cut(s.Addr(), "]:")
	if port == "" {
		_, port, _ = strings.Cut(s.Addr(), ":")
	}
	url := "http://127.0.0.1:" + port + "/metrics"
	if code, _ := get(t, url, ""); code != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d", code)
	}
	if code, _ := get(t, url, "s3cret-token-value"); code != 200 {
		t.Fatalf("/metrics with the token: %d", code)
	}
}

// Close stops serving, is idempotent, and releases the listener even when
// it comes right after New.
func TestServerClose(t *testing.T) {
	s := newServer(t, Options{}, nil)
	addr := s.Addr()
	if code, body := get(t, "http://"+addr+"/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := <-s.Err(); !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("serve ended with %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after Close")
	}

	quick := newServer(t, Options{}, nil)
	addr = quick.Addr()
	if err := quick.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("a listener closed right after New is still open")
	}
}
