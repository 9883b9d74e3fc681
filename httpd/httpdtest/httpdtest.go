// Package httpdtest builds the real HTTP stack for tests: the router of
// package httpd with every route set mounted, over a real SQLite store in
// a temporary directory. Only the live modem pool and the webhook registry
// (the gateway's) are stand-ins. The tests of api, the compatible APIs and
// httpd drive it.
package httpdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"smsgw/campaign"
	"smsgw/consent"
	"smsgw/contacts"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw"
	"smsgw/api"
	"smsgw/httpd"
	"smsgw/internal/callback"
	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/rules"
	"smsgw/store/sqlite"
)

// Env is the whole HTTP stack over a real queue.
type Env struct {
	T testing.TB
	// Stack holds the route sets; API is its v1 core.
	Stack *httpd.Stack
	API   *api.Handler
	// Handler is the router every request goes through.
	Handler http.Handler
	// Q is the SQLite store, Store the API's view of it.
	Q      *sqlite.Store
	Store  *api.QueueStore
	Modems *Modems
	Hooks  *Webhooks
	// Ledger is the budget ledger the default Budgets backend is (nil
	// when the test set its own).
	Ledger *campaign.Ledger
	// Token is sent as a bearer token by Do: the first of the options'
	// tokens, or none.
	Token string

	opts httpd.Options
	stop func()
}

// Dbm returns a pointer to a signal strength.
func Dbm(v int) *int { return &v }

// JoinText decodes stored inbound parts as the gateway does.
func JoinText(parts [][]byte) (string, string, error) {
	c, err := pdu.JoinPDUs(parts, true)
	if err != nil {
		return "", "", err
	}
	return c.Text, c.Coding.String(), nil
}

// Join decodes stored inbound parts with the 8-bit data, application port
// and message class they carry, as the gateway does.
func Join(parts [][]byte) (queue.Joined, error) {
	c, err := pdu.JoinPDUs(parts, true)
	if err != nil {
		return queue.Joined{}, err
	}
	j := queue.Joined{Text: c.Text, Coding: c.Coding.String(), Data: c.Data}
	if m, err := pdu.Decode(parts[0]); err == nil {
		if d, ok := m.(*pdu.Deliver); ok {
			if h, _ := d.UD.Header(); h != nil {
				if p, ok := h.Ports(); ok {
					j.Ports = &queue.Ports{Dst: p.Dst, Src: p.Src}
				}
			}
			if cl, ok := d.DCS.Class(); ok {
				j.Class = &cl
			}
		}
	}
	return j, nil
}

// OpenQueue opens a SQLite store in t's temporary directory, closed when
// the test ends.
func OpenQueue(t testing.TB) *sqlite.Store {
	t.Helper()
	q, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{JoinText: JoinText, Join: Join}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q
}

// New builds the stack with o (its Backend is filled in: the store, two
// modems m1, registered, and m2, offline, and an empty webhook registry)
// and closes it when the test ends.
func New(t testing.TB, o httpd.Options) *Env {
	t.Helper()
	e := &Env{T: t, Q: OpenQueue(t), Hooks: &Webhooks{}}
	e.Store = api.NewQueueStore(e.Q)
	e.Modems = NewModems(map[string]string{"*100#": "Balance: 4.20 EUR"},
		smsgw.ModemStatus{ID: "m1", Port: "/dev/ttyUSB0", State: "ready", Manufacturer: "SIMCOM", Model: "SIM800", IMEI: "860000000000001", Number: "+4915100000001", Operator: "TestNet", SignalDBM: Dbm(-71), Registration: "home", Counters: smsgw.ModemCounters{Sent: 3, FailuresByCode: map[int]int64{38: 1}}},
		smsgw.ModemStatus{ID: "m2", Port: "/dev/ttyUSB3", State: "offline", Registration: "searching"},
	)
	if o.Backend.Store == nil {
		o.Backend.Store = e.Store
	}
	if o.Backend.Modems == nil {
		o.Backend.Modems = e.Modems
	}
	if o.Backend.Webhooks == nil {
		o.Backend.Webhooks = e.Hooks
	}
	if o.Backend.Rules == nil {
		cc, _ := smsgw.CallingCode(o.API.DefaultCountry) // a bad country fails in api.New
		eng, err := rules.NewEngine(nil, e.Q, rules.Options{Groups: contacts.Membership{Store: e.Q, CC: cc}})
		if err != nil {
			t.Fatal(err)
		}
		o.Backend.Rules = eng
	}
	if o.Backend.Conversations == nil {
		o.Backend.Conversations = e.Q
	}
	if o.Backend.Consent == nil {
		svc, err := consent.New(consent.DefaultOptions(), e.Q)
		if err != nil {
			t.Fatal(err)
		}
		o.Backend.Consent = svc
	}
	if o.Backend.Contacts == nil {
		o.Backend.Contacts = e.Q
	}
	if o.Backend.Prices == nil {
		pb, err := campaign.NewPriceBook(context.Background(), nil, e.Q)
		if err != nil {
			t.Fatal(err)
		}
		o.Backend.Prices = pb
	}
	if o.Backend.Spend == nil {
		o.Backend.Spend = e.Q
	}
	if o.Backend.Tariffs == nil {
		pb, _ := o.Backend.Prices.(*campaign.PriceBook)
		ts, err := campaign.NewTariffs(context.Background(), pb, nil, e.Q)
		if err != nil {
			t.Fatal(err)
		}
		o.Backend.Tariffs = ts
		if o.Backend.Budgets == nil {
			l, err := campaign.NewLedger(context.Background(), campaign.LedgerOptions{Tariffs: ts, Totals: e.Q, Events: e.Q})
			if err != nil {
				t.Fatal(err)
			}
			o.Backend.Budgets, e.Ledger = l, l
		}
	}
	if o.Backend.Campaigns == nil {
		// No feeder: a launched campaign stays as launched.
		pb, _ := o.Backend.Prices.(*campaign.PriceBook)
		o.Backend.Campaigns = &campaign.Service{Store: e.Q, Expander: campaign.Expander{Contacts: e.Q}, Prices: pb, OptOuts: e.Q}
	}
	if o.Backend.CampaignBudgets == nil {
		o.Backend.CampaignBudgets = campaign.BudgetSetter{Store: e.Q, Budgets: e.Q, Gate: &campaign.BudgetGate{Ledger: e.Ledger, Events: e.Q}}
	}
	e.opts = o
	e.build(o)
	t.Cleanup(func() { e.stop() })
	if len(o.Tokens) > 0 {
		e.Token = o.Tokens[0].Secret
	}
	return e
}

func (e *Env) build(o httpd.Options) {
	e.T.Helper()
	st, err := httpd.NewStack(o, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	e.Stack, e.API = st, st.API
	e.Handler = httpd.Handler(st)
	e.stop = func() { st.Close(context.Background()) }
}

// Rebuild replaces the stack by one over a changed backend (a store that
// fails, a modem pool that misbehaves); the queue stays the same.
func (e *Env) Rebuild(change func(b *api.Backend)) {
	e.T.Helper()
	e.stop()
	o := e.opts
	change(&o.Backend)
	e.build(o)
}

// ID parses a message id of the store.
func ID(t testing.TB, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		t.Fatalf("bad id %q", id)
	}
	return n
}

// Claim takes message id for modem m1, handing back the others it meets.
func (e *Env) Claim(id string) *queue.Job {
	e.T.Helper()
	ctx := e.T.Context()
	var others []*queue.Job
	defer func() {
		for _, j := range others {
			e.Q.Release(ctx, j.AttemptID)
		}
	}()
	for range 100 {
		job, err := e.Q.TryClaim(ctx, queue.ClaimOptions{Modem: "m1"})
		if err != nil {
			e.T.Fatalf("claim %s: %v", id, err)
		}
		if job.ID == ID(e.T, id) {
			return job
		}
		others = append(others, job)
	}
	e.T.Fatalf("message %s never claimed", id)
	return nil
}

// MarkSent sends message id on m1 with message reference mr.
func (e *Env) MarkSent(id string, mr int) {
	e.T.Helper()
	job := e.Claim(id)
	if _, err := e.Q.MarkSent(e.T.Context(), job.AttemptID, queue.PartResult{Seq: 1, Total: 1, MR: mr}); err != nil {
		e.T.Fatal(err)
	}
}

// MarkFailed fails message id on its first attempt with a permanent error.
func (e *Env) MarkFailed(id string) {
	e.T.Helper()
	job := e.Claim(id)
	if _, err := e.Q.MarkFailed(e.T.Context(), job.AttemptID, queue.Failure{Class: queue.Permanent, Err: "+CMS ERROR: 21 (short message transfer rejected)", Code: 21}); err != nil {
		e.T.Fatal(err)
	}
}

// Report applies a status report for the part of message id sent with mr.
func (e *Env) Report(id string, mr int, delivered bool) {
	e.T.Helper()
	m, err := e.Store.Message(e.T.Context(), id)
	if err != nil {
		e.T.Fatal(err)
	}
	r := queue.Report{Modem: "m1", MR: mr, Recipient: m.To, Status: queue.ReportDelivered}
	if !delivered {
		r.Status, r.Code = queue.ReportFailed, 0x41
	}
	if _, err := e.Q.ApplyReport(e.T.Context(), r); err != nil {
		e.T.Fatal(err)
	}
}

// AddInbound stores a received single-part SMS and returns its inbox id.
func (e *Env) AddInbound(modem, from, text string, scts time.Time) string {
	e.T.Helper()
	addr, err := pdu.ParseAddress(from)
	if err != nil {
		e.T.Fatal(err)
	}
	sept, err := pdu.EncodeGSM7(text)
	if err != nil {
		e.T.Fatal(err)
	}
	ud, err := pdu.NewUserData(pdu.CodingGSM7, nil, sept)
	if err != nil {
		e.T.Fatal(err)
	}
	b, _, err := pdu.Encode(&pdu.Deliver{From: addr, DCS: pdu.NewDCS(pdu.CodingGSM7, -1), SCTS: scts, UD: ud})
	if err != nil {
		e.T.Fatal(err)
	}
	res, err := e.Q.AddInboundPart(e.T.Context(), queue.InboundPart{Modem: modem, Sender: from, SCTS: scts, PDU: b})
	if err != nil {
		e.T.Fatal(err)
	}
	return strconv.FormatInt(res.InboxID, 10)
}

// Resp is one recorded answer.
type Resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Resp) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrCode returns error.code and error.field of an error body, failing
// the test when there is no error object or it has no sentence.
func (r Resp) ErrCode(t testing.TB) (code, field string) {
	t.Helper()
	var b struct {
		Error *api.Error `json:"error"`
	}
	r.JSON(t, &b)
	if b.Error == nil {
		t.Fatalf("no error object in %s", r.Body)
	}
	if b.Error.Message == "" {
		t.Fatalf("error without message: %s", r.Body)
	}
	return b.Error.Code, b.Error.Field
}

// Do runs one request through the router. A string or any other non-nil
// body is sent as JSON. hdr alternates name, value; an empty value removes
// the header, and "Host" sets the request's Host (localhost:8787 by
// default, as a local client sends it).
func (e *Env) Do(method, path string, body any, hdr ...string) Resp {
	e.T.Helper()
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
	if e.Token != "" {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
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
	return e.Serve(req)
}

// Serve runs req through the router and records the answer.
func (e *Env) Serve(req *http.Request) Resp {
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, req)
	return Resp{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// Want fails the test unless r has the status code.
func (e *Env) Want(r Resp, code int) {
	e.T.Helper()
	if r.Code != code {
		e.T.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
}

// SendOne posts one v1 message and returns its id.
func (e *Env) SendOne(to, text string) string {
	e.T.Helper()
	r := e.Do("POST", "/v1/messages", map[string]any{"to": to, "text": text})
	e.Want(r, http.StatusAccepted)
	var out api.SendResponse
	r.JSON(e.T, &out)
	return out.Messages[0].ID
}

// LocalRequest is a bodiless request as a local client sends it.
func LocalRequest(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.Host = "localhost"
	return req
}

// LoopbackCallbacks lets callbacks reach test receivers on 127.0.0.1.
var LoopbackCallbacks = callback.Policy{AllowHosts: []string{"127.0.0.1"}}
