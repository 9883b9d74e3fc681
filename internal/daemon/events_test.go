package daemon

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/config"
)

// The outbox consumers the daemon builds before the gateway serve the HTTP
// side end to end on two emulated modems: a message sent through the
// Kannel API shows on a live /v1/events stream as sent and delivered, its
// dlr-url is called for the delivery report, and a stream that comes back
// with Last-Event-ID gets what it missed from the durable outbox.
func TestDaemonEventStreamAndKannelDLR(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	cfg.Callbacks.AllowPrivate = true // the dlr-url receiver is on loopback
	if err := cfg.SetSimulate(2); err != nil {
		t.Fatal(err)
	}
	calls := make(chan string, 8)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls <- r.URL.RawQuery }))
	defer cb.Close()
	d, err := New(cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	}()
	base := "http://" + d.Addr()

	// stream opens /v1/events (after the event id last, when set) and
	// sends each "id event" pair it reads on the returned channel.
	stream := func(last string) <-chan string {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events?event=sms:sent,sms:delivered", nil)
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("GET /v1/events: %s", resp.Status)
		}
		out := make(chan string, 64)
		go func() {
			defer resp.Body.Close()
			defer close(out)
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<16), 1<<20)
			id := ""
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "id: "); ok {
					id = v
				} else if v, ok := strings.CutPrefix(line, "event: "); ok && id != "" {
					out <- id + " " + v
					id = ""
				}
			}
		}()
		return out
	}
	// want reads events until name comes, and returns its id.
	want := func(ch <-chan string, name string) string {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case s, ok := <-ch:
				if !ok {
					t.Fatalf("stream ended before %s", name)
				}
				if id, ev, _ := strings.Cut(s, " "); ev == name {
					return id
				}
			case <-timeout:
				t.Fatalf("no %s on the stream", name)
			}
		}
	}

	live := stream("")
	dlr := cb.URL + "/dlr?t=%d&to=%p"
	resp, err := http.Get(base + "/cgi-bin/sendsms?to=%2B15550100002&text=hello&dlr-mask=1&dlr-url=" + url.QueryEscape(dlr))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("sendsms: %s %s", resp.Status, body)
	}
	sent := want(live, "sms:sent")
	want(live, "sms:delivered")
	select {
	case q := <-calls:
		if q != "t=1&to=%2B15550100002" {
			t.Fatalf("dlr-url called with %q", q)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the dlr-url was not called")
	}
	// Back after the sent event: the delivery report comes from the outbox.
	if id := want(stream(sent), "sms:delivered"); id == sent {
		t.Fatalf("replayed the event it came back after (%s)", id)
	}
	select {
	case q := <-calls:
		t.Fatalf("a second dlr-url call %q (mask 1 asks for the delivery report only)", q)
	default:
	}
}
