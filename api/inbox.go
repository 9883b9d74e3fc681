package api

import (
	"net/http"
	"smsgw/wire"
	"strconv"

	"github.com/gorilla/mux"

	"smsgw"
)

func strconvItoa(i int) string { return strconv.Itoa(i) }

// InboxList is wire.InboxList: the v1 API's JSON shapes are shared with its clients.
type InboxList = wire.InboxList

func (h *Handler) inboxFilter(r *http.Request) (InboxFilter, *Error) {
	var f InboxFilter
	if e := onlyParams(r, "from", "modem", "since", "until", "limit", "cursor"); e != nil {
		return f, e
	}
	q := r.URL.Query()
	if from := q.Get("from"); from != "" {
		// Senders may be alphanumeric ("BANK"); normalise only numbers.
		if n, err := smsgw.NormalizeE164(from, h.cc); err == nil {
			f.From = n
		} else {
			f.From = from
		}
	}
	f.Modem = q.Get("modem")
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

func (h *Handler) listInbox(w http.ResponseWriter, r *http.Request) *Error {
	f, e := h.inboxFilter(r)
	if e != nil {
		return e
	}
	page, err := h.b.Store.Inbox(r.Context(), f)
	if err != nil {
		return h.storeErr(err, "inbox")
	}
	if page.Messages == nil {
		page.Messages = []Inbound{}
	}
	writeJSON(w, http.StatusOK, InboxList{Messages: page.Messages, NextCursor: page.Next})
	return nil
}

func (h *Handler) getInbound(w http.ResponseWriter, r *http.Request) *Error {
	m, err := h.b.Store.Inbound(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.storeErr(err, "inbound message")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (h *Handler) deleteInbound(w http.ResponseWriter, r *http.Request) *Error {
	if err := h.b.Store.DeleteInbound(r.Context(), mux.Vars(r)["id"]); err != nil {
		return h.storeErr(err, "inbound message")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
