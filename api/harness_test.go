package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/internal/callback"
	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// env is a handler over a real queue in t.TempDir(); only the live modem
// pool and the webhook registry (the gateway's) are test doubles.
type env struct {
	t      *testing.T
	h      *Handler
	q      *sqlite.Store
	store  *QueueStore
	modems *fakeModems
	hooks  *memWebhooks
	token  string
}

func dbm(v int) *int { return &v }

// joinText decodes stored inbound parts as the gateway does.
func joinText(parts [][]byte) (string, string, error) {
	c, err := pdu.JoinPDUs(parts, true)
	if err != nil {
		return "", "", err
	}
	return c.Text, c.Coding.String(), nil
}

func openQueue(t testing.TB) *sqlite.Store {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{JoinText: joinText})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	e := &env{t: t, q: openQueue(t), hooks: &memWebhooks{}}
	e.store = NewQueueStore(e.q)
	e.modems = &fakeModems{ussd: map[string]string{"*100#": "Balance: 4.20 EUR"}}
	e.modems.set(
		smsgw.ModemStatus{ID: "m1", Port: "/dev/ttyUSB0", State: "ready", Manufacturer: "SIMCOM", Model: "SIM800", IMEI: "860000000000001", Number: "+4915100000001", Operator: "TestNet", SignalDBM: dbm(-71), Registration: "home", Counters: smsgw.ModemCounters{Sent: 3, FailuresByCode: map[int]int64{38: 1}}},
		smsgw.ModemStatus{ID: "m2", Port: "/dev/ttyUSB3", State: "offline", Registration: "searching"},
	)
	h, err := New(opts, Backend{Store: e.store, Modems: e.modems, Webhooks: e.hooks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	e.h = h
	if len(opts.Tokens) > 0 {
		e.token = opts.Tokens[0].Secret
	}
	return e
}

// claim takes message id for modem m1, handing back the others it meets.
func (e *env) claim(id string) *queue.Job {
	e.t.Helper()
	ctx := e.t.Context()
	var others []*queue.Job
	defer func() {
		for _, j := range others {
			e.q.Release(ctx, j.AttemptID)
		}
	}()
	for range 100 {
		job, err := e.q.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
		if err != nil {
			e.t.Fatalf("claim %s: %v", id, err)
		}
		if job.ID == mustID(e.t, id) {
			return job
		}
		others = append(others, job)
	}
	e.t.Fatalf("message %s never claimed", id)
	return nil
}

func mustID(t *testing.T, id string) int64 {
	n, ok := parseID(id)
	if !ok {
		t.Fatalf("bad id %q", id)
	}
	return n
}

// markSent sends message id on m1 with message reference mr.
func (e *env) markSent(id string, mr int) {
	e.t.Helper()
	job := e.claim(id)
	if _, err := e.q.MarkSent(e.t.Context(), job.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: mr}); err != nil {
		e.t.Fatal(err)
	}
}

// markFailed fails message id on its first attempt with a permanent error.
func (e *env) markFailed(id string) {
	e.t.Helper()
	job := e.claim(id)
	if _, err := e.q.MarkFailed(e.t.Context(), job.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21 (short message transfer rejected)", Code: 21}); err != nil {
		e.t.Fatal(err)
	}
}

// report applies a status report for the part sent with mr.
func (e *env) report(id string, mr int, delivered bool) {
	e.t.Helper()
	m, err := e.store.Message(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	r := queue.Report{Modem: "m1", MR: mr, Recipient: m.To, Status: queue.ReportDelivered}
	if !delivered {
		r.Status, r.Code = queue.ReportFailed, 0x41
	}
	if _, err := e.q.ApplyReport(e.t.Context(), r); err != nil {
		e.t.Fatal(err)
	}
}

// addInbound stores a received single-part SMS and returns its inbox id.
func (e *env) addInbound(modem, from, text string, scts time.Time) string {
	e.t.Helper()
	addr, err := pdu.ParseAddress(from)
	if err != nil {
		e.t.Fatal(err)
	}
	sept, err := pdu.EncodeGSM7(text)
	if err != nil {
		e.t.Fatal(err)
	}
	ud, err := pdu.NewUserData(pdu.CodingGSM7, nil, sept)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _, err := pdu.Encode(&pdu.Deliver{From: addr, DCS: pdu.NewDCS(pdu.CodingGSM7, -1), SCTS: scts, UD: ud})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.q.AddInboundPart(e.t.Context(), queue.InboundPart{Modem: modem, Sender: from, SCTS: scts, PDU: b})
	if err != nil {
		e.t.Fatal(err)
	}
	return itoa(int(res.InboxID))
}

type resp struct {
	code int
	hdr  http.Header
	body []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errCode returns error.code and error.field of an error body.
func (r resp) errCode(t *testing.T) (code, field string) {
	t.Helper()
	var b struct {
		Error *Error `json:"error"`
	}
	r.json(t, &b)
	if b.Error == nil {
		t.Fatalf("no error object in %s", r.body)
	}
	if b.Error.Message == "" {
		t.Fatalf("error without message: %s", r.body)
	}
	return b.Error.Code, b.Error.Field
}

// do runs one request through the handler. hdr alternates name, value; an
// empty value removes the header.
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ct = "application/json"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
		ct = "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	// A tokenless daemon answers loopback names only, as a browser-less
	// client on the same machine sends them.
	req.Host = "localhost:8787"
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{code: w.Code, hdr: w.Header(), body: w.Body.Bytes()}
}

func (e *env) want(r resp, code int) {
	e.t.Helper()
	if r.code != code {
		e.t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
}

// sendOne posts one v1 message and returns its id.
func (e *env) sendOne(to, text string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/messages", map[string]any{"to": to, "text": text})
	e.want(r, http.StatusAccepted)
	var out SendResponse
	r.json(e.t, &out)
	return out.Messages[0].ID
}

// localRequest is a bodiless request as a local client sends it.
func localRequest(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.Host = "localhost"
	return req
}

// loopbackCallbacks lets callbacks reach the test receivers on 127.0.0.1.
var loopbackCallbacks = callback.Policy{AllowHosts: []string{"127.0.0.1"}}
