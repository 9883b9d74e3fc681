package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/wire"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"smsgw"
)

// sendRequest is the body of POST /v1/messages.
type sendRequest struct {
	To             stringList        `json:"to"`
	Text           *string           `json:"text"`
	Priority       int               `json:"priority"`
	SendAt         string            `json:"send_at"`
	ExpiresAt      string            `json:"expires_at"`
	TTL            *int64            `json:"ttl"`
	Modem          string            `json:"modem"`
	Tags           []string          `json:"tags"`
	DeliveryReport *bool             `json:"delivery_report"`
	Flash          bool              `json:"flash"`
	Encoding       string            `json:"encoding"`
	Metadata       map[string]string `json:"metadata"`
	Category       string            `json:"category"`
	// Binary messages: data in base64 (data) or hex (data_hex) instead of
	// text, the application ports, the client's own header in hex, the
	// message class (also for text) and TP-PID.
	Data       *string `json:"data"`
	DataHex    *string `json:"data_hex"`
	Port       *int    `json:"port"`
	SourcePort *int    `json:"source_port"`
	UDH        string  `json:"udh"`
	Class      *int    `json:"class"`
	PID        *int    `json:"pid"`
}

// SendResult is wire.SendResult: the v1 API's JSON shapes are shared with its clients.
type SendResult = wire.SendResult

// SendResponse is wire.SendResponse: the v1 API's JSON shapes are shared with its clients.
type SendResponse = wire.SendResponse

const (
	maxTextRunes   = 5000
	maxIdemKeyLen  = 255
	maxPriority    = 127
	minPriority    = -128
	maxModemIDLen  = 128
	maxUSSDCodeLen = 160
)

// draft is a validated send, independent of which API it came through.
type draft struct {
	to             []string
	text           string
	priority       int
	sendAt         time.Time
	expiresAt      time.Time
	modem          string
	tags           []string
	deliveryReport bool
	flash          bool
	encoding       string
	metadata       map[string]string
	category       smsgw.Category
	binary         queue.Binary
	// skipNumberCheck: recipients are only cleaned up (digits with an
	// optional leading '+'), not validated as phone numbers.
	skipNumberCheck bool
	// ownTo: to is the handler's own (decoded from the request), so the
	// normalised numbers may take its place.
	ownTo bool
}

// build validates the recipients and text and turns them into store
// messages; field names in errors are those of the calling API.
func (h *Handler) build(d draft, fTo, fText string) ([]NewMessage, *Error) {
	proto, to, e := h.prepare(d, fTo, fText)
	if e != nil {
		return nil, e
	}
	return expand(&proto, to), nil
}

// expand gives each recipient its copy of proto.
func expand(proto *NewMessage, to []string) []NewMessage {
	out := make([]NewMessage, len(to))
	for i, n := range to {
		out[i] = *proto
		out[i].To = n
	}
	return out
}

// prepare is build without the copy per recipient: what the recipients
// share, and their numbers normalised, each once.
func (h *Handler) prepare(d draft, fTo, fText string) (NewMessage, []string, *Error) {
	if len(d.to) == 0 {
		return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeMissingField, fTo, "at least one recipient is required")
	}
	if e := h.checkRecipients(len(d.to), fTo); e != nil {
		return NewMessage{}, nil, e
	}
	if d.binary.IsData() {
		if d.text != "" {
			return NewMessage{}, nil, badField(fText, "give a text or data, not both")
		}
		if len(d.binary.Data) == 0 {
			return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeEmptyText, "data", "the data is empty")
		}
	} else {
		if strings.TrimSpace(d.text) == "" {
			return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeEmptyText, fText, "the text is empty")
		}
		if !utf8.ValidString(d.text) {
			return NewMessage{}, nil, badField(fText, "the text is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(d.text); n > maxTextRunes {
			return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeTooManyParts, fText, "the text has %d characters; at most %d", n, maxTextRunes)
		}
	}
	if d.flash && d.binary.Class != nil && *d.binary.Class != 0 {
		return NewMessage{}, nil, badField("class", "flash is class 0; give one or the other")
	}
	parts, coding, err := segmentMessage(d.text, d.encoding, d.binary)
	if err != nil {
		f := "encoding"
		if d.binary.IsData() || len(d.binary.UDH) > 0 {
			f = "udh"
			if len(d.binary.UDH) == 0 {
				f = "data"
			}
		}
		return NewMessage{}, nil, badField(f, "%v", err)
	}
	if d.binary.IsData() {
		fText = "data"
	}
	if parts > h.opts.MaxParts {
		return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeTooManyParts, fText, "the text needs %d SMS parts in %s; the limit is %d", parts, coding, h.opts.MaxParts)
	}
	if !d.expiresAt.IsZero() && !d.expiresAt.After(h.now()) {
		return NewMessage{}, nil, badField("expires_at", "the expiry is in the past")
	}
	if !d.expiresAt.IsZero() && !d.sendAt.IsZero() && !d.expiresAt.After(d.sendAt) {
		return NewMessage{}, nil, badField("expires_at", "the message would expire before it is due")
	}
	if len(d.modem) > maxModemIDLen {
		return NewMessage{}, nil, badField("modem", "modem id too long")
	}
	// What the recipients share is filled in once and copied.
	proto := NewMessage{
		Text: d.text, Coding: coding, Parts: parts, Priority: d.priority,
		SendAt: d.sendAt, ExpiresAt: d.expiresAt, Modem: d.modem, Tags: d.tags,
		DeliveryReport: d.deliveryReport, Flash: d.flash, Metadata: d.metadata, Category: d.category, Binary: d.binary,
	}
	// Repeated numbers are found by a scan of the few taken so far, or
	// in a map kept from one request to the next.
	var seen map[string]struct{}
	if len(d.to) > smallRecipients {
		seen = seenPool.Get().(map[string]struct{})
		defer func() {
			if len(seen) <= maxPooledSeen {
				clear(seen)
				seenPool.Put(seen)
			}
		}()
	}
	var out []string
	if d.ownTo {
		out = d.to[:0] // each number is read before its slot is written
	} else {
		out = make([]string, 0, len(d.to))
	}
	for i, raw := range d.to {
		var n string
		var err error
		if d.skipNumberCheck {
			// The client vouches for the number (SMSGate's
			// skipPhoneValidation): only the characters are checked.
			n, err = smsgw.NormalizeDigits(raw)
		} else {
			n, err = smsgw.NormalizeE164(raw, h.cc)
		}
		if err != nil {
			f := fTo
			if len(d.to) > 1 {
				f = fTo + "[" + itoa(i) + "]"
			}
			return NewMessage{}, nil, errorf(http.StatusBadRequest, CodeInvalidNumber, f, "%v", err)
		}
		if seen != nil {
			if _, dup := seen[n]; dup {
				continue // one SMS per number, whatever the spelling
			}
			seen[n] = struct{}{}
		} else if slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	return proto, out, nil
}

// smallRecipients is the most recipients whose repeats are found by
// scanning rather than with a map.
const smallRecipients = 16

// maxPooledSeen bounds the maps of numbers kept for the next request,
// so that one huge request does not pin its map.
const maxPooledSeen = 4096

var seenPool = sync.Pool{New: func() any { return make(map[string]struct{}, 512) }}

// requestFingerprint identifies a submission by its meaning, so the same
// request re-sent with other whitespace or number spelling still matches
// its key. A relative ttl counts as the client sent it: the expiry computed
// from it moves with the clock, so a retry would never match.
func requestFingerprint(kind string, msgs []NewMessage, ttl *int64) smsgw.Fingerprint {
	if ttl != nil {
		msgs = append([]NewMessage(nil), msgs...)
		for i := range msgs {
			msgs[i].ExpiresAt = time.Time{}
		}
	}
	return smsgw.FingerprintOf(struct {
		Kind string
		M    []NewMessage
		TTL  *int64 `json:",omitempty"`
	}{kind, msgs, ttl})
}

// CodeUnknownModem: a send is routed to a modem id the gateway does not know.
const CodeUnknownModem = "unknown_modem"

// checkModem refuses a route to a modem id the gateway does not know (one
// configured but unplugged is known): such a message could never be sent
// and would wait in the queue for ever. Without a live modem pool (the API
// on its own) nothing can be checked.
func (h *Handler) checkModem(ctx context.Context, field, id string) *Error {
	if id == "" || h.b.Modems == nil {
		return nil
	}
	_, err := h.b.Modems.Modem(ctx, id)
	if err == nil {
		return nil
	}
	if !errors.Is(err, smsgw.ErrNotFound) {
		return h.storeErr(err, "modem")
	}
	known := "none"
	if ms, err := h.b.Modems.Modems(ctx); err == nil && len(ms) > 0 {
		ids := make([]string, 0, len(ms))
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		if len(ids) > 20 {
			ids = append(ids[:20], "...")
		}
		known = strings.Join(ids, ", ")
	}
	return errorf(http.StatusUnprocessableEntity, CodeUnknownModem, field, "no modem %q is known to the gateway (known: %s)", id, known)
}

func (h *Handler) parseTime(field, v string) (time.Time, *Error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badField(field, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", field)
	}
	return t, nil
}

func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request) *Error {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdemKeyLen {
		return badField("Idempotency-Key", "the key is longer than %d characters", maxIdemKeyLen)
	}
	body, e := readJSON(r)
	if e != nil {
		return e
	}
	var req sendRequest
	if !req.decodeFast(body) {
		// Decoded apart so that req, read the fast way, stays on the stack.
		p := new(sendRequest)
		if e := unmarshalStrict(body, p); e != nil {
			return e
		}
		req = *p
	}
	d := draft{to: req.To, ownTo: true, priority: req.Priority, modem: req.Modem, tags: req.Tags, flash: req.Flash, encoding: req.Encoding, metadata: req.Metadata, deliveryReport: true}
	if d.binary, e = req.binary(); e != nil {
		return e
	}
	switch {
	case req.Text != nil:
		d.text = *req.Text
	case !d.binary.IsData():
		return errorf(http.StatusBadRequest, CodeMissingField, "text", "text (or data) is required")
	}
	cat, err := smsgw.ParseCategory(req.Category)
	if err != nil {
		return badField("category", "category must be %q (the default) or %q", smsgw.CategoryTransactional, smsgw.CategoryMarketing)
	}
	if cat == smsgw.CategoryMarketing {
		d.category = cat
	}
	if req.DeliveryReport != nil {
		d.deliveryReport = *req.DeliveryReport
	}
	if req.Priority < minPriority || req.Priority > maxPriority {
		return badField("priority", "priority must be from %d to %d", minPriority, maxPriority)
	}
	if d.sendAt, e = h.parseTime("send_at", req.SendAt); e != nil {
		return e
	}
	if d.expiresAt, e = h.parseTime("expires_at", req.ExpiresAt); e != nil {
		return e
	}
	if req.TTL != nil {
		if !d.expiresAt.IsZero() {
			return badField("ttl", "give ttl or expires_at, not both")
		}
		if *req.TTL < 5 || *req.TTL > 365*24*3600 {
			return badField("ttl", "ttl must be from 5 seconds to one year")
		}
		base := h.now()
		if d.sendAt.After(base) {
			base = d.sendAt
		}
		d.expiresAt = base.Add(time.Duration(*req.TTL) * time.Second)
	}
	if e := h.checkTagsMetadata(req.Tags, req.Metadata); e != nil {
		return e
	}
	proto, to, e := h.prepare(d, "to", "text")
	if e != nil {
		return e
	}
	if e := h.checkModem(r.Context(), "modem", d.modem); e != nil {
		return e
	}
	var fp smsgw.Fingerprint
	if key != "" {
		key = "v1:" + key // a namespace apart from SMSGate's message ids
		fp = requestFingerprint("v1", expand(&proto, to), req.TTL)
	}
	if h.qs != nil {
		res, err := h.qs.submitQueue(r.Context(), proto, to, key, fp)
		if err != nil {
			return h.storeErr(err, "message")
		}
		if res.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		if len(res.Messages) == 1 {
			w.Header()["Location"] = []string{"/v1/messages/" + strconv.FormatInt(res.Messages[0].ID, 10)}
		}
		writeQueued(w, res, proto.Parts, proto.Coding)
		return nil
	}
	sr := SubmitRequest{IdempotencyKey: key, Fingerprint: fp, Messages: expand(&proto, to)}
	res, err := h.b.Store.Submit(r.Context(), sr)
	if err != nil {
		return h.storeErr(err, "message")
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if len(res.Messages) == 1 {
		w.Header().Set("Location", "/v1/messages/"+url.PathEscape(res.Messages[0].ID))
	}
	writeSubmitted(w, res)
	return nil
}

// queueSubmitter is a Store that keeps its messages in the queue
// (QueueStore): a v1 send hands it what the recipients share and their
// numbers, and answers from the queue's messages.
type queueSubmitter interface {
	submitQueue(ctx context.Context, f NewMessage, to []string, key string, fp smsgw.Fingerprint) (queue.Enqueued, error)
}

// sendResponse is the 202 answer to a send the store took.
func sendResponse(res SubmitResult) SendResponse {
	out := SendResponse{Batch: res.Batch, Messages: make([]SendResult, len(res.Messages))}
	for i := range res.Messages {
		m := &res.Messages[i]
		out.Messages[i] = SendResult{ID: m.ID, To: m.To, State: m.State, Reason: m.Reason, Parts: m.PartCount, Coding: m.Coding}
	}
	return out
}

// binary reads the binary fields of a v1 send.
func (req *sendRequest) binary() (queue.Binary, *Error) {
	var b queue.Binary
	var e *Error
	switch {
	case req.Data != nil && req.DataHex != nil:
		return b, badField("data_hex", "give data (base64) or data_hex, not both")
	case req.Data != nil:
		if b.Data, e = decodeBase64("data", *req.Data); e != nil {
			return b, e
		}
	case req.DataHex != nil:
		if b.Data, e = decodeHex("data_hex", *req.DataHex); e != nil {
			return b, e
		}
	}
	if b.Data != nil && len(b.Data) == 0 {
		f := "data"
		if req.DataHex != nil {
			f = "data_hex"
		}
		return b, errorf(http.StatusBadRequest, CodeEmptyText, f, "the data is empty")
	}
	if b.Ports, e = portsOf("port", "source_port", req.Port, req.SourcePort); e != nil {
		return b, e
	}
	if req.UDH != "" {
		if b.UDH, e = decodeUDH("udh", req.UDH); e != nil {
			return b, e
		}
	}
	if req.Class != nil {
		if *req.Class < 0 || *req.Class > 3 {
			return b, badField("class", "class must be 0, 1, 2 or 3")
		}
		c := *req.Class
		b.Class = &c
	}
	if req.PID != nil {
		if *req.PID < 0 || *req.PID > 255 {
			return b, badField("pid", "pid must be from 0 to 255")
		}
		b.PID = *req.PID
	}
	return b, nil
}

// decodeBase64 reads standard or URL-safe base64, padded or not.
func decodeBase64(field, s string) ([]byte, *Error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, badField(field, "%s is not valid base64", field)
}

func decodeHex(field, s string) ([]byte, *Error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, badField(field, "%s is not valid hex: %v", field, err)
	}
	return b, nil
}

// decodeUDH reads a user data header in hex, its length octet first, and
// checks that the elements fit it.
func decodeUDH(field, s string) ([]byte, *Error) {
	b, e := decodeHex(field, s)
	if e != nil {
		return nil, e
	}
	if len(b) < 3 || int(b[0]) != len(b)-1 {
		return nil, badField(field, "%s must start with its length octet (UDHL) and hold whole elements", field)
	}
	if len(b) > queue.MaxUDHBytes {
		return nil, badField(field, "%s has %d octets; at most %d", field, len(b), queue.MaxUDHBytes)
	}
	if _, _, err := pdu.ParseUDH(b); err != nil {
		return nil, badField(field, "%v", err)
	}
	return b, nil
}

// portsOf checks an application port pair; the source port defaults to
// the destination, as handsets answer on the port they were reached on.
func portsOf(fDst, fSrc string, dst, src *int) (*queue.Ports, *Error) {
	if dst == nil {
		if src != nil {
			return nil, badField(fSrc, "%s needs %s", fSrc, fDst)
		}
		return nil, nil
	}
	if *dst < 1 || *dst > 65535 {
		return nil, badField(fDst, "%s must be from 1 to 65535", fDst)
	}
	p := &queue.Ports{Dst: *dst, Src: *dst}
	if src != nil {
		if *src < 0 || *src > 65535 {
			return nil, badField(fSrc, "%s must be from 0 to 65535", fSrc)
		}
		p.Src = *src
	}
	return p, nil
}

func (h *Handler) storeErr(err error, what string) *Error {
	e := backendError(err, what)
	if e.Status >= 500 {
		h.log.Error("api: store call failed", "what", what, "err", err)
	}
	return e
}

func (h *Handler) getMessage(w http.ResponseWriter, r *http.Request) *Error {
	m, err := h.b.Store.Message(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.storeErr(err, "message")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// MessageList is wire.MessageList: the v1 API's JSON shapes are shared with its clients.
type MessageList = wire.MessageList

func (h *Handler) listFilter(r *http.Request) (MessageFilter, *Error) {
	var f MessageFilter
	if e := onlyParams(r, "state", "to", "campaign", "since", "until", "limit", "cursor"); e != nil {
		return f, e
	}
	q := r.URL.Query()
	for _, s := range q["state"] {
		for _, st := range strings.Split(s, ",") {
			if st == "" {
				continue
			}
			if !smsgw.State(st).Valid() {
				return f, badField("state", "unknown state %q; states are %s", st, stateList())
			}
			f.States = append(f.States, smsgw.State(st))
		}
	}
	if to := q.Get("to"); to != "" {
		n, err := smsgw.NormalizeE164(to, h.cc)
		if err != nil {
			return f, errorf(http.StatusBadRequest, CodeInvalidNumber, "to", "%v", err)
		}
		f.To = n
	}
	if c := q.Get("campaign"); c != "" {
		if _, ok := parseID(c); !ok {
			return f, badField("campaign", "campaign must be a campaign id")
		}
		f.Campaign = c
	}
	var e *Error
	if f.Since, e = queryTime(r, "since"); e != nil {
		return f, e
	}
	if f.Until, e = queryTime(r, "until"); e != nil {
		return f, e
	}
	if f.Limit, e = queryInt(r, "limit", 50, 1, 1000); e != nil {
		return f, e
	}
	f.Cursor = q.Get("cursor")
	return f, nil
}

// stateList names every state, for an error message.
func stateList() string {
	names := make([]string, len(smsgw.States))
	for i, st := range smsgw.States {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) *Error {
	f, e := h.listFilter(r)
	if e != nil {
		return e
	}
	page, err := h.b.Store.Messages(r.Context(), f)
	if err != nil {
		return h.storeErr(err, "message list")
	}
	if page.Messages == nil {
		page.Messages = []Message{}
	}
	writeJSON(w, http.StatusOK, MessageList{Messages: page.Messages, NextCursor: page.Next})
	return nil
}

func (h *Handler) cancelMessage(w http.ResponseWriter, r *http.Request) *Error {
	m, err := h.b.Store.Cancel(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.storeErr(err, "message")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// CodeNotRetryable: POST /v1/messages/{id}/retry on a message that is
// queued, on its way or done.
const CodeNotRetryable = "not_retryable"

// retryMessage requeues an uncertain, failed or expired message: the
// operator's decision to try again, which the queue never makes on its own
// for these states.
func (h *Handler) retryMessage(w http.ResponseWriter, r *http.Request) *Error {
	m, err := h.b.Store.Retry(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.storeErr(err, "message")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func itoa(i int) string {
	return strconvItoa(i)
}
