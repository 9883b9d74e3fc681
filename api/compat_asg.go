package api

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"smsgw"
	"smsgw/hooks"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"
)

// android-sms-gateway (SMSGate) local-server compatibility. A modem stands
// in for a device (deviceId = modem id) and simNumber picks the n-th modem
// of /devices; a multi-recipient message is one batch in the store, whose id
// is the SMSGate message id.

type asgTextMessage struct {
	Text string `json:"text"`
}

type asgSendRequest struct {
	ID                 string          `json:"id"`
	Message            *string         `json:"message"`
	TextMessage        *asgTextMessage `json:"textMessage"`
	DataMessage        json.RawMessage `json:"dataMessage"`
	PhoneNumbers       []string        `json:"phoneNumbers"`
	SimNumber          *int            `json:"simNumber"`
	WithDeliveryReport *bool           `json:"withDeliveryReport"`
	Priority           int             `json:"priority"`
	TTL                *int64          `json:"ttl"`
	ValidUntil         string          `json:"validUntil"`
	ScheduleAt         string          `json:"scheduleAt"`
	IsEncrypted        bool            `json:"isEncrypted"`
	DeviceID           string          `json:"deviceId"`
}

// ASGRecipientState is one recipient of an SMSGate MessageState.
type ASGRecipientState struct {
	PhoneNumber string  `json:"phoneNumber"`
	State       string  `json:"state"`
	Error       *string `json:"error"`
}

// ASGMessageState is SMSGate's MessageState.
type ASGMessageState struct {
	ID          string              `json:"id"`
	DeviceID    string              `json:"deviceId"`
	State       string              `json:"state"`
	IsHashed    bool                `json:"isHashed"`
	IsEncrypted bool                `json:"isEncrypted"`
	Recipients  []ASGRecipientState `json:"recipients"`
	States      map[string]string   `json:"states"`
	TextMessage *asgTextMessage     `json:"textMessage,omitempty"`
}

// asgError writes SMSGate's error shape ({"message","code"}) with our error
// object alongside, so both kinds of client find what they look for.
func asgError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="smsgw"`)
	}
	writeJSON(w, e.Status, struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
		Error   *Error `json:"error"`
	}{e.Message, e.Status, e})
}

// asgState maps a queue state to SMSGate's ProcessState.
func asgState(s smsgw.State) string {
	switch s {
	case smsgw.StateQueued:
		return "Pending"
	case smsgw.StateSending:
		return "Processed"
	case smsgw.StateSent:
		return "Sent"
	case smsgw.StateDelivered:
		return "Delivered"
	}
	return "Failed"
}

var asgOrder = map[string]int{"Pending": 0, "Processed": 1, "Sent": 2, "Delivered": 3, "Failed": 4}

func asgStatesFor(s string) []smsgw.State {
	switch s {
	case "Pending":
		return []smsgw.State{smsgw.StateQueued}
	case "Processed":
		return []smsgw.State{smsgw.StateSending}
	case "Sent":
		return []smsgw.State{smsgw.StateSent}
	case "Delivered":
		return []smsgw.State{smsgw.StateDelivered}
	case "Failed":
		return []smsgw.State{smsgw.StateFailed, smsgw.StateExpired, smsgw.StateCancelled, smsgw.StateUncertain}
	}
	return nil
}

// asgView builds one MessageState from a batch's messages. The overall
// state is the least advanced among recipients that did not fail, or
// Failed when all failed.
func asgView(batch string, msgs []Message) ASGMessageState {
	out := ASGMessageState{ID: batch, States: map[string]string{}, Recipients: make([]ASGRecipientState, 0, len(msgs))}
	overall := ""
	stamp := func(k string, t *time.Time) {
		if t == nil || t.IsZero() {
			return
		}
		v := t.UTC().Format(time.RFC3339Nano)
		if old, ok := out.States[k]; !ok || v < old {
			out.States[k] = v
		}
	}
	for _, m := range msgs {
		st := asgState(m.State)
		rs := ASGRecipientState{PhoneNumber: m.To, State: st}
		if st == "Failed" {
			e := m.Error
			if e == "" {
				e = string(m.State)
			}
			rs.Error = &e
		}
		out.Recipients = append(out.Recipients, rs)
		if st != "Failed" && (overall == "" || asgOrder[st] < asgOrder[overall]) {
			overall = st
		}
		created := m.CreatedAt
		stamp("Pending", &created)
		if len(m.Attempts) > 0 {
			stamp("Processed", &m.Attempts[0].At)
		}
		stamp("Sent", m.SentAt)
		stamp("Delivered", m.DeliveredAt)
		if st == "Failed" {
			u := m.UpdatedAt
			stamp("Failed", &u)
		}
		if out.DeviceID == "" {
			out.DeviceID = m.SentBy
		}
		if out.DeviceID == "" {
			out.DeviceID = m.Modem
		}
		if out.TextMessage == nil {
			out.TextMessage = &asgTextMessage{Text: m.Text}
		}
	}
	if overall == "" {
		overall = "Failed"
	}
	out.State = overall
	return out
}

// cleanID reports whether a client-chosen id can be shown, logged and used
// in a path: valid UTF-8 without control characters, spaces or slashes.
func cleanID(id string) bool {
	if !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '/' || r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// newID returns a 21-character URL-safe random id (nanoid's alphabet and
// length, as SMSGate uses).
func newID() string {
	const alphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
	var b [21]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&63]
	}
	return string(b[:])
}

func (h *Handler) asgSend(w http.ResponseWriter, r *http.Request) *Error {
	var req asgSendRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	texts := 0
	var text string
	if req.TextMessage != nil {
		texts++
		text = req.TextMessage.Text
	}
	if req.Message != nil {
		texts++
		text = *req.Message
	}
	if len(req.DataMessage) > 0 && string(req.DataMessage) != "null" {
		return badField("dataMessage", "data messages are not supported; send textMessage")
	}
	if texts != 1 {
		return errorf(http.StatusBadRequest, CodeMissingField, "textMessage", "exactly one of textMessage and message is required")
	}
	if req.IsEncrypted {
		return badField("isEncrypted", "end-to-end encrypted messages are not supported")
	}
	if len(req.ID) > 36 {
		return badField("id", "id is at most 36 characters")
	}
	if !cleanID(req.ID) {
		return badField("id", "an id has no control characters, spaces or slashes, and is valid UTF-8")
	}
	if reservedBatchName(req.ID) {
		return badField("id", "ids like %q (a number, or q and a number) name the gateway's own messages and batches; choose another id", req.ID)
	}
	if len(req.PhoneNumbers) > 100 {
		return errorf(http.StatusBadRequest, CodeTooManyRecipients, "phoneNumbers", "at most 100 phone numbers per message")
	}
	if req.Priority < minPriority || req.Priority > maxPriority {
		return badField("priority", "priority must be from -128 to 127")
	}
	d := draft{to: req.PhoneNumbers, text: text, priority: req.Priority, deliveryReport: true, modem: req.DeviceID}
	if req.WithDeliveryReport != nil {
		d.deliveryReport = *req.WithDeliveryReport
	}
	var e *Error
	if d.sendAt, e = h.parseTime("scheduleAt", req.ScheduleAt); e != nil {
		return e
	}
	if !d.sendAt.IsZero() && !d.sendAt.After(h.now()) {
		return badField("scheduleAt", "scheduleAt must be in the future")
	}
	if d.expiresAt, e = h.parseTime("validUntil", req.ValidUntil); e != nil {
		return e
	}
	if req.TTL != nil {
		if !d.expiresAt.IsZero() {
			return badField("ttl", "give ttl or validUntil, not both")
		}
		if *req.TTL < 5 || *req.TTL > 365*24*3600 {
			return badField("ttl", "ttl must be at least 5 seconds")
		}
		d.expiresAt = h.now().Add(time.Duration(*req.TTL) * time.Second)
	}
	if e := h.checkModem(r.Context(), "deviceId", d.modem); e != nil {
		return e
	}
	if req.SimNumber != nil {
		id, e := h.simToModem(r, *req.SimNumber)
		if e != nil {
			return e
		}
		if d.modem != "" && d.modem != id {
			return badField("simNumber", "simNumber %d is modem %q, not deviceId %q", *req.SimNumber, id, d.modem)
		}
		d.modem = id
	}
	msgs, e := h.build(d, "phoneNumbers", "textMessage.text")
	if e != nil {
		return e
	}
	// The client's id names the batch and, as SMSGate does, reusing it is
	// a conflict; without one the batch gets a random id. Either way the
	// id is the idempotency key the batch is found by.
	batch := req.ID
	for batch == "" || reservedBatchName(batch) {
		batch = newID()
	}
	key := batchKeyPrefix + batch
	res, err := h.b.Store.Submit(r.Context(), SubmitRequest{IdempotencyKey: key, Fingerprint: requestFingerprint("asg", msgs, req.TTL), Batch: batch, Messages: msgs})
	if err != nil {
		if errorsIsConflict(err) {
			return errorf(http.StatusConflict, CodeConflict, "id", "Message with such ID already exists")
		}
		return h.storeErr(err, "message")
	}
	if res.Replayed {
		return errorf(http.StatusConflict, CodeConflict, "id", "Message with such ID already exists")
	}
	if res.Batch != "" {
		batch = res.Batch
	}
	w.Header().Set("Location", strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/message"), "/messages")+"/messages/"+url.PathEscape(batch))
	writeJSON(w, http.StatusAccepted, asgView(batch, res.Messages))
	return nil
}

// simToModem maps simNumber n (1-based) to the n-th modem by id order.
func (h *Handler) simToModem(r *http.Request, n int) (string, *Error) {
	if n < 1 || n > 255 {
		return "", badField("simNumber", "simNumber must be from 1 to 255")
	}
	if h.b.Modems == nil {
		return "", badField("simNumber", "no modems are known, so simNumber cannot be used")
	}
	ms, err := h.b.Modems.Modems(r.Context())
	if err != nil {
		return "", h.storeErr(err, "modems")
	}
	for _, m := range ms {
		if m.SIMSlot == n {
			return m.ID, nil
		}
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	if n > len(ids) {
		return "", badField("simNumber", "simNumber %d: there are %d modems", n, len(ids))
	}
	return ids[n-1], nil
}

func (h *Handler) batchMessages(r *http.Request, batch string) ([]Message, error) {
	var out []Message
	f := MessageFilter{Batch: batch, Limit: 1000}
	for {
		p, err := h.b.Store.Messages(r.Context(), f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Messages...)
		if p.Next == "" || len(out) >= 100 {
			return out, nil
		}
		f.Cursor = p.Next
	}
}

func (h *Handler) asgGet(w http.ResponseWriter, r *http.Request) *Error {
	id := mux.Vars(r)["id"]
	msgs, err := h.batchMessages(r, id)
	if err != nil {
		return h.storeErr(err, "message")
	}
	if len(msgs) == 0 {
		// A v1 message id works here too.
		m, err := h.b.Store.Message(r.Context(), id)
		if err != nil {
			return errorf(http.StatusNotFound, CodeNotFound, "", "Message not found")
		}
		msgs = []Message{m}
	}
	writeJSON(w, http.StatusOK, asgView(id, msgs))
	return nil
}

// asgList lists messages grouped by batch, newest first, with offset/limit
// paging over batches and the total in X-Total-Count.
func (h *Handler) asgList(w http.ResponseWriter, r *http.Request) *Error {
	q := r.URL.Query()
	limit, e := queryInt(r, "limit", 50, 1, 100)
	if e != nil {
		return e
	}
	offset, e := queryInt(r, "offset", 0, 0, 10000)
	if e != nil {
		return e
	}
	f := MessageFilter{Limit: 500}
	if f.Since, e = queryTime(r, "from"); e != nil {
		return e
	}
	if f.Until, e = queryTime(r, "to"); e != nil {
		return e
	}
	if s := q.Get("state"); s != "" {
		if f.States = asgStatesFor(s); f.States == nil {
			return badField("state", "state must be Pending, Processed, Sent, Delivered or Failed")
		}
	}
	device := q.Get("deviceId")
	var order []string
	groups := map[string][]Message{}
	for {
		p, err := h.b.Store.Messages(r.Context(), f)
		if err != nil {
			return h.storeErr(err, "messages")
		}
		for _, m := range p.Messages {
			if device != "" && m.SentBy != device && m.Modem != device {
				continue
			}
			b := m.Batch
			if b == "" {
				b = m.ID
			}
			if _, ok := groups[b]; !ok {
				order = append(order, b)
			}
			groups[b] = append(groups[b], m)
		}
		// Counting every batch gives an exact X-Total-Count; the bound
		// keeps one request from reading an unbounded history.
		if p.Next == "" || len(order) > offset+10000 {
			break
		}
		f.Cursor = p.Next
	}
	w.Header().Set("X-Total-Count", itoa(len(order)))
	out := []ASGMessageState{}
	for i := offset; i < len(order) && i < offset+limit; i++ {
		v := asgView(order[i], groups[order[i]])
		if q.Get("includeContent") != "true" {
			v.TextMessage = nil
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ASGInboxMessage is one received message in SMSGate's inbox listing.
type ASGInboxMessage struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Message     string    `json:"message"`
	PhoneNumber string    `json:"phoneNumber"`
	Sender      string    `json:"sender"`
	SimNumber   int       `json:"simNumber,omitempty"`
	DeviceID    string    `json:"deviceId"`
	ReceivedAt  time.Time `json:"receivedAt"`
}

func (h *Handler) asgInbox(w http.ResponseWriter, r *http.Request) *Error {
	q := r.URL.Query()
	limit, e := queryInt(r, "limit", 50, 1, 100)
	if e != nil {
		return e
	}
	offset, e := queryInt(r, "offset", 0, 0, 10000)
	if e != nil {
		return e
	}
	if t := q.Get("type"); t != "" && !strings.EqualFold(t, "sms") {
		return badField("type", "only SMS messages are received")
	}
	f := InboxFilter{Limit: 1000, Modem: q.Get("deviceId")}
	if f.Since, e = queryTime(r, "from"); e != nil {
		return e
	}
	if f.Until, e = queryTime(r, "to"); e != nil {
		return e
	}
	var all []Inbound
	for {
		p, err := h.b.Store.Inbox(r.Context(), f)
		if err != nil {
			return h.storeErr(err, "inbox")
		}
		all = append(all, p.Messages...)
		if p.Next == "" || len(all) > offset+10000 {
			break
		}
		f.Cursor = p.Next
	}
	w.Header().Set("X-Total-Count", itoa(len(all)))
	out := []ASGInboxMessage{}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		m := all[i]
		out = append(out, ASGInboxMessage{ID: m.ID, Type: "SMS", Message: m.Text, PhoneNumber: m.From, Sender: m.From, DeviceID: m.Modem, ReceivedAt: m.ReceivedAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) noWebhooks() *Error {
	return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "webhooks are not available (the gateway is not running)")
}

func (h *Handler) asgWebhooks(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Webhooks == nil {
		return h.noWebhooks()
	}
	list, err := h.b.Webhooks.Webhooks(r.Context())
	if err != nil {
		return h.storeErr(err, "webhooks")
	}
	if list == nil {
		list = []hooks.Registration{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (h *Handler) asgAddWebhook(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Webhooks == nil {
		return h.noWebhooks()
	}
	var req hooks.Registration
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	u, err := url.Parse(req.URL)
	if req.URL == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "url", "url is required")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badField("url", "url must be an absolute http or https URL")
	}
	ok := false
	for _, ev := range smsgw.WebhookEvents {
		ok = ok || ev == req.Event
	}
	if !ok {
		return badField("event", "event must be one of %s", strings.Join(smsgw.WebhookEvents, ", "))
	}
	if len(req.ID) > 36 {
		return badField("id", "id is at most 36 characters")
	}
	if !cleanID(req.ID) {
		return badField("id", "an id has no control characters, spaces or slashes, and is valid UTF-8")
	}
	if req.ID == "" {
		req.ID = newID()
	}
	if req.DeviceID != "" && h.b.Modems != nil {
		if _, err := h.b.Modems.Modem(r.Context(), req.DeviceID); err != nil {
			return badField("deviceId", "no modem %q", req.DeviceID)
		}
	}
	saved, err := h.b.Webhooks.AddWebhook(r.Context(), req)
	if err != nil {
		return h.storeErr(err, "webhook")
	}
	writeJSON(w, http.StatusCreated, saved)
	return nil
}

func (h *Handler) asgDeleteWebhook(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Webhooks == nil {
		return h.noWebhooks()
	}
	if err := h.b.Webhooks.DeleteWebhook(r.Context(), mux.Vars(r)["id"]); err != nil {
		return h.storeErr(err, "webhook")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ASGDevice is one modem shown as an SMSGate device.
type ASGDevice struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	LastSeen  time.Time  `json:"lastSeen"`
	DeletedAt *time.Time `json:"deletedAt"`
}

func (h *Handler) asgDevices(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Modems == nil {
		return h.noModems()
	}
	ms, err := h.b.Modems.Modems(r.Context())
	if err != nil {
		return h.storeErr(err, "modems")
	}
	now := h.now().UTC()
	out := make([]ASGDevice, 0, len(ms))
	for _, m := range ms {
		d := ASGDevice{ID: m.ID, Name: strings.TrimSpace(m.Manufacturer + " " + m.Model), CreatedAt: h.started.UTC(), UpdatedAt: now, LastSeen: now}
		if d.Name == "" {
			d.Name = m.ID
		}
		if m.Since != nil {
			d.CreatedAt = m.Since.UTC()
		}
		if m.LastSeen != nil {
			d.LastSeen = m.LastSeen.UTC()
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// asgHealth answers in the IETF health-check shape SMSGate uses.
func (h *Handler) asgHealth(w http.ResponseWriter, r *http.Request) *Error {
	ok, checks, total, registered := h.readiness(r.Context())
	status := "pass"
	code := http.StatusOK
	switch {
	case !ok:
		status, code = "fail", http.StatusServiceUnavailable
	case registered < total:
		status = "warn"
	}
	type check struct {
		Description   string `json:"description"`
		ObservedUnit  string `json:"observedUnit"`
		ObservedValue int    `json:"observedValue"`
		Status        string `json:"status"`
	}
	cs := map[string]check{}
	for k, v := range checks {
		st := "pass"
		if strings.HasPrefix(v, "fail") {
			st = "fail"
		}
		cs[k] = check{Description: v, ObservedUnit: "", Status: st}
	}
	cs["modems:registered"] = check{Description: "registered modems", ObservedUnit: "modems", ObservedValue: registered, Status: map[bool]string{true: "pass", false: "fail"}[registered > 0]}
	writeJSON(w, code, map[string]any{"status": status, "version": h.opts.Version, "releaseId": 1, "checks": cs})
	return nil
}
