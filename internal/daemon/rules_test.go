package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/config"
	"smsgw/rules"
)

// Keyword rules end to end through the whole daemon on two emulated
// modems, across a restart: a configured rule and one added through the
// API answer through the modem that received the message, the thread
// shows both directions, and after a restart the API rule and the thread
// (read state included) are still there and the rules still answer.
func TestDaemonRulesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(dir, "smsgw.db")
	cfg.Simulate.Dir = filepath.Join(dir, "sim")
	if err := cfg.SetSimulate(2); err != nil {
		t.Fatal(err)
	}
	cfg.Rules = []config.RuleConfig{{Name: "hours", Match: rules.Match{Type: rules.MatchFirstWord, Value: "HOURS"},
		Actions: []rules.Action{{Type: rules.ActionReply, Text: "Open 9-17, {{contact.name|there}}"}}}}
	const sim1, sim2 = "+15550100001", "+15550100002"

	start := func() (*Daemon, func(method, path string, body any) (int, []byte)) {
		d, err := New(cfg, Options{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		call := func(method, path string, body any) (int, []byte) {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			}
			req, _ := http.NewRequest(method, "http://"+d.Addr()+path, rd)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		return d, call
	}
	stop := func(d *Daemon) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
	}
	type thread struct {
		Unread   int `json:"unread"`
		Messages []struct {
			Direction, Text, Modem, State string
		} `json:"messages"`
	}
	type summary struct {
		Number      string `json:"number"`
		Unread      int    `json:"unread"`
		LastMessage struct {
			Direction, Text, ID string
		} `json:"last_message"`
	}
	// waitReply polls the conversation list (reading it marks nothing)
	// until sim2's thread with sim1 ends with the reply text, and returns
	// that summary and then the thread.
	waitReply := func(call func(string, string, any) (int, []byte), text string) (summary, thread) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			code, b := call("GET", "/v1/conversations", nil)
			var list struct {
				Conversations []summary `json:"conversations"`
			}
			if code != 200 || json.Unmarshal(b, &list) != nil {
				t.Fatalf("GET /v1/conversations: %d %s", code, b)
			}
			for _, c := range list.Conversations {
				if c.Number == sim1 && c.LastMessage.Direction == "out" && c.LastMessage.Text == text {
					// The thread shows the reply's modem once a worker
					// took it; reading the message marks nothing read.
					var m struct{ State string }
					if code, b := call("GET", "/v1/messages/"+c.LastMessage.ID, nil); code != 200 || json.Unmarshal(b, &m) != nil {
						t.Fatalf("GET reply: %d %s", code, b)
					}
					if m.State == "queued" || m.State == "scheduled" {
						break
					}
					code, b := call("GET", "/v1/conversations/"+sim1, nil)
					var th thread
					if code != 200 || json.Unmarshal(b, &th) != nil {
						t.Fatalf("GET thread: %d %s", code, b)
					}
					return c, th
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no reply %q to %s: %s", text, sim1, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	d, call := start()
	if code, b := call("POST", "/v1/rules", map[string]any{"name": "prices", "match": map[string]any{"type": "first_word", "value": "PRICE"},
		"actions": []any{map[string]any{"type": "reply", "text": "Prices: example.com/p"}}}); code != 201 {
		t.Fatalf("POST /v1/rules: %d %s", code, b)
	}
	if code, b := call("POST", "/v1/messages", map[string]any{"to": sim2, "text": "HOURS?", "modem": "sim1"}); code != 202 {
		t.Fatalf("send: %d %s", code, b)
	}
	c, th := waitReply(call, "Open 9-17, there")
	if c.Unread != 1 || len(th.Messages) != 2 || th.Messages[0].Text != "HOURS?" || th.Messages[1].Modem != "sim2" {
		t.Fatalf("summary %+v, thread %+v", c, th)
	}
	stop(d)

	d, call = start()
	defer stop(d)
	code, b := call("GET", "/v1/rules", nil)
	if code != 200 || !strings.Contains(string(b), `"id":"cfg-1"`) || !strings.Contains(string(b), `"name":"prices"`) {
		t.Fatalf("rules after the restart: %d %s", code, b)
	}
	if code, b := call("POST", "/v1/messages", map[string]any{"to": sim2, "text": "price please", "modem": "sim1"}); code != 202 {
		t.Fatalf("send: %d %s", code, b)
	}
	// One unread: the message received before the restart was read.
	c, th = waitReply(call, "Prices: example.com/p")
	if c.Unread != 1 || len(th.Messages) != 4 || th.Messages[2].Text != "price please" {
		t.Fatalf("after the restart: summary %+v, thread %+v", c, th)
	}
}
