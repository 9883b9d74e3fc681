package api

import (
	"context"
	"errors"
	"net/http"
	"smsgw/wire"
	"strings"

	"github.com/gorilla/mux"

	"smsgw"
)

// SignalBars maps a received signal strength in dBm to 0-4 bars, with the
// thresholds phones commonly use for GSM/UMTS RSSI.
func SignalBars(dbm int) int {
	switch {
	case dbm >= -73:
		return 4
	case dbm >= -83:
		return 3
	case dbm >= -93:
		return 2
	case dbm >= -109:
		return 1
	}
	return 0
}

func withBars(m smsgw.ModemStatus) smsgw.ModemStatus {
	if m.SignalDBM != nil {
		m.SignalBars = SignalBars(*m.SignalDBM)
	} else {
		m.SignalBars = 0
	}
	if m.Registration == "" {
		m.Registration = "unknown"
	}
	return m
}

// ModemList is wire.ModemList: the v1 API's JSON shapes are shared with its clients.
type ModemList = wire.ModemList

func (h *Handler) noModems() *Error {
	return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "modem status is not available (the gateway is not running)")
}

func (h *Handler) listModems(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Modems == nil {
		return h.noModems()
	}
	list := h.b.Modems.Modems
	if h.b.Fleet != nil {
		list = h.b.Fleet.FleetModems
	}
	ms, err := list(r.Context())
	if err != nil {
		return h.storeErr(err, "modems")
	}
	out := ModemList{Modems: make([]smsgw.ModemStatus, len(ms))}
	for i, m := range ms {
		out.Modems[i] = withBars(m)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getModem(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Modems == nil {
		return h.noModems()
	}
	id := mux.Vars(r)["id"]
	m, err := h.b.Modems.Modem(r.Context(), id)
	if errors.Is(err, smsgw.ErrNotFound) && h.b.Fleet != nil {
		// Another gateway's modem: its last reported status.
		if ms, ferr := h.b.Fleet.FleetModems(r.Context()); ferr == nil {
			for _, fm := range ms {
				if fm.ID == id {
					m, err = fm, nil
					break
				}
			}
		}
	}
	if err != nil {
		return h.storeErr(err, "modem")
	}
	writeJSON(w, http.StatusOK, withBars(m))
	return nil
}

// USSD error codes.
const (
	CodeUSSDRefused = "ussd_refused"
	CodeUSSDNetwork = "ussd_network_error"
	CodeUSSDTimeout = "ussd_timeout"
)

// ussdAnswer maps a failed USSD request to its answer.
func (h *Handler) ussdAnswer(err error) *Error {
	var ue *smsgw.USSDError
	if !errors.As(err, &ue) {
		return h.storeErr(err, "modem")
	}
	reason := ue.Reason
	if reason == "" {
		reason = "no reason given"
	}
	switch ue.Kind {
	case smsgw.USSDRefused:
		return errorf(http.StatusUnprocessableEntity, CodeUSSDRefused, "", "the modem refused the USSD request: %s", reason)
	case smsgw.USSDTimeout:
		return errorf(http.StatusGatewayTimeout, CodeUSSDTimeout, "", "the network did not answer the USSD request in time: %s", reason)
	}
	return errorf(http.StatusBadGateway, CodeUSSDNetwork, "", "the network did not carry out the USSD request: %s", reason)
}

type ussdRequest struct {
	Code string `json:"code"`
}

// USSDResponse is the answer of POST /v1/modems/{id}/ussd.
type USSDResponse struct {
	Modem string `json:"modem"`
	Code  string `json:"code"`
	Reply string `json:"reply"`
}

// validUSSD accepts what a keypad can dial: digits, '*', '#' and '+'.
func validUSSD(code string) bool {
	if code == "" || len(code) > maxUSSDCodeLen {
		return false
	}
	return strings.Trim(code, "0123456789*#+") == ""
}

func (h *Handler) ussd(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Modems == nil {
		return h.noModems()
	}
	var req ussdRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if req.Code == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "code", "code is required, e.g. \"*100#\"")
	}
	if !validUSSD(req.Code) {
		return badField("code", "a USSD code has only digits, *, # and + (at most %d)", maxUSSDCodeLen)
	}
	id := mux.Vars(r)["id"]
	// A network that never answers must not hold the request forever.
	ctx, cancel := context.WithTimeout(r.Context(), h.ussdTimeout)
	defer cancel()
	reply, err := h.b.Modems.USSD(ctx, id, req.Code)
	if err != nil {
		if ctx.Err() != nil && r.Context().Err() == nil {
			return errorf(http.StatusGatewayTimeout, CodeUSSDTimeout, "", "the network did not answer the USSD request within %v", h.ussdTimeout)
		}
		return h.ussdAnswer(err)
	}
	writeJSON(w, http.StatusOK, USSDResponse{Modem: id, Code: req.Code, Reply: reply})
	return nil
}

// resetModem closes and reopens a modem; 202 with its status, since the
// modem comes back (recovering, opening, ready) after the answer.
func (h *Handler) resetModem(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.Modems == nil {
		return h.noModems()
	}
	m, err := h.b.Modems.ResetModem(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.storeErr(err, "modem")
	}
	writeJSON(w, http.StatusAccepted, withBars(m))
	return nil
}
