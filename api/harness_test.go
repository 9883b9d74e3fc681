package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type env struct {
	t      *testing.T
	h      *Handler
	store  *memStore
	modems *fakeModems
	hooks  *memWebhooks
	token  string
}

func dbm(v int) *int { return &v }

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	e := &env{t: t, store: newMemStore(), hooks: &memWebhooks{}}
	e.modems = &fakeModems{ussd: map[string]string{"*100#": "Balance: 4.20 EUR"}}
	e.modems.set(
		ModemStatus{ID: "m1", Port: "/dev/ttyUSB0", State: "ready", Manufacturer: "SIMCOM", Model: "SIM800", IMEI: "860000000000001", Number: "+4915100000001", Operator: "TestNet", SignalDBM: dbm(-71), Registration: "home", Counters: Counters{Sent: 3, FailuresByCode: map[int]int64{38: 1}}},
		ModemStatus{ID: "m2", Port: "/dev/ttyUSB3", State: "offline", Registration: "searching"},
	)
	h, err := New(opts, Backend{Store: e.store, Modems: e.modems, Webhooks: e.hooks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(t.Context()) })
	e.h = h
	if len(opts.Tokens) > 0 {
		e.token = opts.Tokens[0].Secret
	}
	return e
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

// errCode returns error.code of an error body.
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

// do runs one request through the handler. hdr alternates name, value.
func (e *env) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ct = "application/json"
	case []byte:
		rd = bytes.NewReader(b)
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
	for i := 0; i+1 < len(hdr); i += 2 {
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
