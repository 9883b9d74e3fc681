package asg

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/api"
	"smsgw/hooks"
	"smsgw/queue"
)

type asgTextMessage struct {
	Text string `json:"text"`
}

// asgDataMessage is SMSGate's data SMS: base64 octets to an application
// port.
type asgDataMessage struct {
	Data string `json:"data"`
	Port *int   `json:"port"`
}

type asgSendRequest struct {
	ID                 string          `json:"id"`
	Message            *string         `json:"message"`
	TextMessage        *asgTextMessage `json:"textMessage"`
	DataMessage        *asgDataMessage `json:"dataMessage"`
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
	DataMessage *asgDataMessage     `json:"dataMessage,omitempty"`
}

// WriteError writes SMSGate's error shape ({"message","code"}) with our
// error object alongside, so both kinds of client find what they look for.
func WriteError(w http.ResponseWriter, e *api.Error) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="smsgw"`)
	}
	api.WriteJSON(w, e.Status, struct {
		Message string     `json:"message"`
		Code    int        `json:"code"`
		Error   *api.Error `json:"error"`
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
	case smsgw.StateCancelled:
		return "Cancelled"
	}
	return "Failed"
}

var asgOrder = map[string]int{"Pending": 0, "Processed": 1, "Sent": 2, "Delivered": 3, "Failed": 4, "Cancelled": 5}

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
		return []smsgw.State{smsgw.StateFailed, smsgw.StateExpired, smsgw.StateUncertain, smsgw.StateSuppressed}
	case "Cancelled":
		return []smsgw.State{smsgw.StateCancelled}
	}
	return nil
}

// asgView builds one MessageState from a batch's messages. The overall
// state is the least advanced among recipients that did not fail and were
// not cancelled; Cancelled when every recipient was cancelled, Failed when
// none is left and one failed.
func asgView(batch string, msgs []api.Message) ASGMessageState {
	out := ASGMessageState{ID: batch, States: map[string]string{}, Recipients: make([]ASGRecipientState, 0, len(msgs))}
	overall := ""
	cancelled := 0
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
		if st == "Failed" || st == "Cancelled" {
			e := m.Error
			if e == "" {
				e = string(m.State)
			}
			rs.Error = &e
		}
		out.Recipients = append(out.Recipients, rs)
		if st != "Failed" && st != "Cancelled" && (overall == "" || asgOrder[st] < asgOrder[overall]) {
			overall = st
		}
		if st == "Cancelled" {
			cancelled++
		}
		created := m.CreatedAt
		stamp("Pending", &created)
		if len(m.Attempts) > 0 {
			stamp("Processed", &m.Attempts[0].At)
		}
		stamp("Sent", m.SentAt)
		stamp("Delivered", m.DeliveredAt)
		if st == "Failed" || st == "Cancelled" {
			u := m.UpdatedAt
			stamp(st, &u)
		}
		if out.DeviceID == "" {
			out.DeviceID = m.SentBy
		}
		if out.DeviceID == "" {
			out.DeviceID = m.Modem
		}
		if out.TextMessage == nil && out.DataMessage == nil {
			if m.Data != "" {
				out.DataMessage = &asgDataMessage{Data: m.Data, Port: m.Port}
			} else {
				out.TextMessage = &asgTextMessage{Text: m.Text}
			}
		}
	}
	if overall == "" {
		overall = "Failed"
		if cancelled == len(msgs) && cancelled > 0 {
			overall = "Cancelled"
		}
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

func (h *API) asgSend(w http.ResponseWriter, r *http.Request) *api.Error {
	var req asgSendRequest
	if e := api.DecodeJSON(r, &req); e != nil {
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
	var bin queue.Binary
	if dm := req.DataMessage; dm != nil {
		texts++
		var e *api.Error
		if bin.Data, e = api.DecodeBase64("dataMessage.data", dm.Data); e != nil {
			return e
		}
		if len(bin.Data) == 0 {
			return api.Errorf(http.StatusBadRequest, api.CodeEmptyText, "dataMessage.data", "the data is empty")
		}
		if dm.Port == nil {
			return api.Errorf(http.StatusBadRequest, api.CodeMissingField, "dataMessage.port", "a data message needs its port (1-65535)")
		}
		if bin.Ports, e = api.PortsOf("dataMessage.port", "", dm.Port, nil); e != nil {
			return e
		}
	}
	if texts != 1 {
		return api.Errorf(http.StatusBadRequest, api.CodeMissingField, "textMessage", "exactly one of textMessage, dataMessage and message is required")
	}
	if req.IsEncrypted {
		return api.BadField("isEncrypted", "end-to-end encrypted messages are not supported")
	}
	if len(req.ID) > 36 {
		return api.BadField("id", "id is at most 36 characters")
	}
	if !cleanID(req.ID) {
		return api.BadField("id", "an id has no control characters, spaces or slashes, and is valid UTF-8")
	}
	if api.ReservedBatchName(req.ID) {
		return api.BadField("id", "ids like %q (a number, or q and a number) name the gateway's own messages and batches; choose another id", req.ID)
	}
	if len(req.PhoneNumbers) > 100 {
		return api.Errorf(http.StatusBadRequest, api.CodeTooManyRecipients, "phoneNumbers", "at most 100 phone numbers per message")
	}
	if req.Priority < api.MinPriority || req.Priority > api.MaxPriority {
		return api.BadField("priority", "priority must be from -128 to 127")
	}
	d := api.Draft{To: req.PhoneNumbers, Text: text, Priority: req.Priority, DeliveryReport: true, Modem: req.DeviceID, Binary: bin}
	if v := r.URL.Query().Get("skipPhoneValidation"); v != "" {
		skip, err := strconv.ParseBool(v)
		if err != nil {
			return api.BadField("skipPhoneValidation", "skipPhoneValidation must be true or false")
		}
		d.SkipNumberCheck = skip
	}
	if req.WithDeliveryReport != nil {
		d.DeliveryReport = *req.WithDeliveryReport
	}
	var e *api.Error
	if d.SendAt, e = h.core.ParseTime("scheduleAt", req.ScheduleAt); e != nil {
		return e
	}
	if !d.SendAt.IsZero() && !d.SendAt.After(h.core.Now()) {
		return api.BadField("scheduleAt", "scheduleAt must be in the future")
	}
	if d.ExpiresAt, e = h.core.ParseTime("validUntil", req.ValidUntil); e != nil {
		return e
	}
	if req.TTL != nil {
		if !d.ExpiresAt.IsZero() {
			return api.BadField("ttl", "give ttl or validUntil, not both")
		}
		if *req.TTL < 5 || *req.TTL > 365*24*3600 {
			return api.BadField("ttl", "ttl must be at least 5 seconds")
		}
		d.ExpiresAt = h.core.Now().Add(time.Duration(*req.TTL) * time.Second)
	}
	if e := h.checkDevice(r, d.Modem); e != nil {
		return e
	}
	if req.SimNumber != nil {
		id, e := h.simToModem(r, *req.SimNumber)
		if e != nil {
			return e
		}
		if d.Modem != "" && d.Modem != id {
			return api.BadField("simNumber", "simNumber %d is modem %q, not deviceId %q", *req.SimNumber, id, d.Modem)
		}
		d.Modem = id
	}
	fText := "textMessage.text"
	if bin.IsData() {
		fText = "dataMessage.data"
	}
	msgs, e := h.core.Build(d, "phoneNumbers", fText)
	if e != nil {
		return e
	}
	// The client's id names the batch and, as SMSGate does, reusing it is
	// a conflict; without one the batch gets a random id. Either way the
	// id is the idempotency key the batch is found by.
	batch := req.ID
	for batch == "" || api.ReservedBatchName(batch) {
		batch = newID()
	}
	key := api.BatchKeyPrefix + batch
	res, err := h.core.Backend().Store.Submit(r.Context(), api.SubmitRequest{IdempotencyKey: key, Fingerprint: api.RequestFingerprint("asg", msgs, req.TTL), Batch: batch, Messages: msgs})
	if err != nil {
		if errors.Is(err, smsgw.ErrConflict) || errors.Is(err, smsgw.ErrIdempotencyMismatch) {
			return api.Errorf(http.StatusConflict, api.CodeConflict, "id", "Message with such ID already exists")
		}
		return h.core.StoreErr(err, "message")
	}
	if res.Replayed {
		return api.Errorf(http.StatusConflict, api.CodeConflict, "id", "Message with such ID already exists")
	}
	if res.Batch != "" {
		batch = res.Batch
	}
	w.Header().Set("Location", strings.TrimSuffix(strings.TrimSuffix(r.URL.Path, "/message"), "/messages")+"/messages/"+url.PathEscape(batch))
	api.WriteJSON(w, http.StatusAccepted, asgView(batch, res.Messages))
	return nil
}

// checkDevice refuses a deviceId that names no modem with SMSGate's 400
// "Invalid device ID"; an empty id is no filter.
func (h *API) checkDevice(r *http.Request, id string) *api.Error {
	if id == "" || h.core.Backend().Modems == nil {
		return nil
	}
	_, err := h.core.Backend().Modems.Modem(r.Context(), id)
	if err == nil {
		return nil
	}
	if errors.Is(err, smsgw.ErrNotFound) {
		return api.Errorf(http.StatusBadRequest, api.CodeUnknownModem, "deviceId", "Invalid device ID")
	}
	return h.core.StoreErr(err, "modems")
}

// asgCancel cancels the messages of a batch (or one v1 message) that are
// not on the wire yet, as SMSGate's DELETE /messages/{id} does: 204 when
// at least one was cancelled or all already were, 409 when every one is
// already sending or done.
func (h *API) asgCancel(w http.ResponseWriter, r *http.Request) *api.Error {
	id := mux.Vars(r)["id"]
	msgs, err := h.batchMessages(r, id)
	if err != nil {
		return h.core.StoreErr(err, "message")
	}
	if len(msgs) == 0 {
		m, err := h.core.Backend().Store.Message(r.Context(), id)
		if err != nil {
			return api.Errorf(http.StatusNotFound, api.CodeNotFound, "", "Message not found")
		}
		msgs = []api.Message{m}
	}
	done := 0
	for _, m := range msgs {
		if m.State == smsgw.StateCancelled {
			done++
			continue
		}
		if m.State != smsgw.StateQueued {
			continue
		}
		if _, err := h.core.Backend().Store.Cancel(r.Context(), m.ID); err == nil {
			done++
		} else if !errors.Is(err, smsgw.ErrConflict) {
			return h.core.StoreErr(err, "message")
		}
	}
	if done == 0 {
		return api.Errorf(http.StatusConflict, api.CodeConflict, "", "Message can not be cancelled: it is already being sent or done")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// simToModem maps simNumber n (1-based) to the n-th modem by id order.
func (h *API) simToModem(r *http.Request, n int) (string, *api.Error) {
	if n < 1 || n > 255 {
		return "", api.BadField("simNumber", "simNumber must be from 1 to 255")
	}
	if h.core.Backend().Modems == nil {
		return "", api.BadField("simNumber", "no modems are known, so simNumber cannot be used")
	}
	ms, err := h.core.Backend().Modems.Modems(r.Context())
	if err != nil {
		return "", h.core.StoreErr(err, "modems")
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
		return "", api.BadField("simNumber", "simNumber %d: there are %d modems", n, len(ids))
	}
	return ids[n-1], nil
}

func (h *API) batchMessages(r *http.Request, batch string) ([]api.Message, error) {
	var out []api.Message
	f := api.MessageFilter{Batch: batch, Limit: 1000}
	for {
		p, err := h.core.Backend().Store.Messages(r.Context(), f)
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

func (h *API) asgGet(w http.ResponseWriter, r *http.Request) *api.Error {
	id := mux.Vars(r)["id"]
	msgs, err := h.batchMessages(r, id)
	if err != nil {
		return h.core.StoreErr(err, "message")
	}
	if len(msgs) == 0 {
		// A v1 message id works here too.
		m, err := h.core.Backend().Store.Message(r.Context(), id)
		if err != nil {
			return api.Errorf(http.StatusNotFound, api.CodeNotFound, "", "Message not found")
		}
		msgs = []api.Message{m}
	}
	api.WriteJSON(w, http.StatusOK, asgView(id, msgs))
	return nil
}

// asgList lists messages grouped by batch, newest first, with offset/limit
// paging over batches and the total in X-Total-Count.
func (h *API) asgList(w http.ResponseWriter, r *http.Request) *api.Error {
	q := r.URL.Query()
	limit, e := api.QueryInt(r, "limit", 50, 1, 100)
	if e != nil {
		return e
	}
	offset, e := api.QueryInt(r, "offset", 0, 0, 10000)
	if e != nil {
		return e
	}
	f := api.MessageFilter{Limit: 500}
	if f.Since, e = api.QueryTime(r, "from"); e != nil {
		return e
	}
	if f.Until, e = api.QueryTime(r, "to"); e != nil {
		return e
	}
	if s := q.Get("state"); s != "" {
		if f.States = asgStatesFor(s); f.States == nil {
			return api.BadField("state", "state must be Pending, Processed, Sent, Delivered, Failed or Cancelled")
		}
	}
	device := q.Get("deviceId")
	if e := h.checkDevice(r, device); e != nil {
		return e
	}
	var order []string
	groups := map[string][]api.Message{}
	for {
		p, err := h.core.Backend().Store.Messages(r.Context(), f)
		if err != nil {
			return h.core.StoreErr(err, "messages")
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
	w.Header().Set("X-Total-Count", strconv.Itoa(len(order)))
	out := []ASGMessageState{}
	for i := offset; i < len(order) && i < offset+limit; i++ {
		v := asgView(order[i], groups[order[i]])
		if q.Get("includeContent") != "true" {
			v.TextMessage, v.DataMessage = nil, nil
		}
		out = append(out, v)
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// ASGInboxMessage is one received message in SMSGate's inbox listing:
// the fields of its local server (message, phoneNumber, receivedAt) and of
// its client libraries' IncomingMessage (contentPreview, createdAt). A data
// message is type DATA_SMS, its content the octets in base64.
type ASGInboxMessage struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	Message        string    `json:"message"`
	ContentPreview string    `json:"contentPreview"`
	PhoneNumber    string    `json:"phoneNumber"`
	Sender         string    `json:"sender"`
	SimNumber      int       `json:"simNumber,omitempty"`
	DeviceID       string    `json:"deviceId"`
	ReceivedAt     time.Time `json:"receivedAt"`
	CreatedAt      time.Time `json:"createdAt"`
}

func (h *API) asgInbox(w http.ResponseWriter, r *http.Request) *api.Error {
	q := r.URL.Query()
	limit, e := api.QueryInt(r, "limit", 50, 1, 500)
	if e != nil {
		return e
	}
	offset, e := api.QueryInt(r, "offset", 0, 0, 10000)
	if e != nil {
		return e
	}
	typ := strings.ToUpper(q.Get("type"))
	if typ != "" && typ != "SMS" && typ != "DATA_SMS" {
		return api.BadField("type", "type must be SMS or DATA_SMS (MMS is not received)")
	}
	if e := h.checkDevice(r, q.Get("deviceId")); e != nil {
		return e
	}
	f := api.InboxFilter{Limit: 1000, Modem: q.Get("deviceId")}
	if f.Since, e = api.QueryTime(r, "from"); e != nil {
		return e
	}
	if f.Until, e = api.QueryTime(r, "to"); e != nil {
		return e
	}
	var all []api.Inbound
	for {
		p, err := h.core.Backend().Store.Inbox(r.Context(), f)
		if err != nil {
			return h.core.StoreErr(err, "inbox")
		}
		for _, m := range p.Messages {
			if typ == "" || (typ == "DATA_SMS") == (m.Data != "") {
				all = append(all, m)
			}
		}
		if p.Next == "" || len(all) > offset+10000 {
			break
		}
		f.Cursor = p.Next
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(all)))
	out := []ASGInboxMessage{}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		m := all[i]
		v := ASGInboxMessage{ID: m.ID, Type: "SMS", Message: m.Text, ContentPreview: m.Text, PhoneNumber: m.From, Sender: m.From,
			DeviceID: m.Modem, ReceivedAt: m.ReceivedAt, CreatedAt: m.ReceivedAt}
		if m.Data != "" {
			v.Type, v.Message, v.ContentPreview = "DATA_SMS", m.Data, m.Data
		}
		out = append(out, v)
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) noWebhooks() *api.Error {
	return api.Errorf(http.StatusServiceUnavailable, api.CodeUnavailable, "", "webhooks are not available (the gateway is not running)")
}

func (h *API) asgWebhooks(w http.ResponseWriter, r *http.Request) *api.Error {
	if h.core.Backend().Webhooks == nil {
		return h.noWebhooks()
	}
	list, err := h.core.Backend().Webhooks.Webhooks(r.Context())
	if err != nil {
		return h.core.StoreErr(err, "webhooks")
	}
	if list == nil {
		list = []hooks.Registration{}
	}
	api.WriteJSON(w, http.StatusOK, list)
	return nil
}

func (h *API) asgAddWebhook(w http.ResponseWriter, r *http.Request) *api.Error {
	if h.core.Backend().Webhooks == nil {
		return h.noWebhooks()
	}
	var req hooks.Registration
	if e := api.DecodeJSON(r, &req); e != nil {
		return e
	}
	u, err := url.Parse(req.URL)
	if req.URL == "" {
		return api.Errorf(http.StatusBadRequest, api.CodeMissingField, "url", "url is required")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return api.BadField("url", "url must be an absolute http or https URL")
	}
	ok := false
	for _, ev := range smsgw.WebhookEvents {
		ok = ok || ev == req.Event
	}
	if !ok {
		return api.BadField("event", "event must be one of %s", strings.Join(smsgw.WebhookEvents, ", "))
	}
	if len(req.ID) > 36 {
		return api.BadField("id", "id is at most 36 characters")
	}
	if !cleanID(req.ID) {
		return api.BadField("id", "an id has no control characters, spaces or slashes, and is valid UTF-8")
	}
	if req.ID == "" {
		req.ID = newID()
	}
	if e := h.checkDevice(r, req.DeviceID); e != nil {
		return e
	}
	saved, err := h.core.Backend().Webhooks.AddWebhook(r.Context(), req)
	if err != nil {
		return h.core.StoreErr(err, "webhook")
	}
	api.WriteJSON(w, http.StatusCreated, saved)
	return nil
}

func (h *API) asgDeleteWebhook(w http.ResponseWriter, r *http.Request) *api.Error {
	if h.core.Backend().Webhooks == nil {
		return h.noWebhooks()
	}
	if err := h.core.Backend().Webhooks.DeleteWebhook(r.Context(), mux.Vars(r)["id"]); err != nil {
		return h.core.StoreErr(err, "webhook")
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

func (h *API) asgDevices(w http.ResponseWriter, r *http.Request) *api.Error {
	if h.core.Backend().Modems == nil {
		return h.core.NoModems()
	}
	ms, err := h.core.Backend().Modems.Modems(r.Context())
	if err != nil {
		return h.core.StoreErr(err, "modems")
	}
	now := h.core.Now().UTC()
	out := make([]ASGDevice, 0, len(ms))
	for _, m := range ms {
		d := ASGDevice{ID: m.ID, Name: strings.TrimSpace(m.Manufacturer + " " + m.Model), CreatedAt: h.core.Started().UTC(), UpdatedAt: now, LastSeen: now}
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
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// asgHealth answers in the IETF health-check shape SMSGate uses.
func (h *API) asgHealth(w http.ResponseWriter, r *http.Request) *api.Error {
	ok, checks, total, registered := h.core.Readiness(r.Context())
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
	api.WriteJSON(w, code, map[string]any{"status": status, "version": h.core.Version(), "releaseId": 1, "checks": cs})
	return nil
}
