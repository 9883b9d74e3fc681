package gateway

import (
	"context"
	"fmt"
	"testing"

	"smsgw/modem"
	"smsgw/modem/at"
	"smsgw/queue"
)

func TestFailureClasses(t *testing.T) {
	wrap := func(err error) error {
		return &modem.SendError{Part: 0, Parts: 1, Err: &at.CommandError{Cmd: "AT+CMGS=20", Err: err}}
	}
	tests := []struct {
		name  string
		err   error
		class queue.ErrorClass
		code  int
	}{
		{"network out of order", wrap(&at.CMSError{Code: 38}), queue.Temporary, 38},
		{"unassigned number", wrap(&at.CMSError{Code: 1}), queue.Permanent, 1},
		{"SMSC address unknown", wrap(&at.CMSError{Code: 330}), queue.ModemFault, 330},
		{"SIM busy", wrap(&at.CMEError{Code: 14}), queue.Temporary, 14},
		{"SIM failure", wrap(&at.CMEError{Code: 13}), queue.ModemFault, 13},
		{"port closed", wrap(at.ErrClosed), queue.ModemFault, 0},
		{"no SIM", fmt.Errorf("open: %w", modem.ErrNoSIM), queue.ModemFault, 0},
		{"timeout", wrap(at.ErrTimeout), queue.Temporary, 0},
		{"shutdown", wrap(context.Canceled), queue.ModemFault, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := failure(tt.err)
			if f.Class != tt.class || f.Code != tt.code || f.Err == "" {
				t.Errorf("failure(%v) = %+v, want class %s code %d", tt.err, f, tt.class, tt.code)
			}
		})
	}
	noPrompt := &modem.SendError{Parts: 1, Err: &at.CommandError{Cmd: "AT+CMGS=20", Phase: "prompt", Err: at.ErrTimeout}}
	if onWire(noPrompt) || !unanswered(noPrompt) {
		t.Error("a missing prompt means the PDU never left: unanswered, not on the wire")
	}
	lost := &modem.SendError{Parts: 1, OnWire: true, Err: &at.CommandError{Cmd: "AT+CMGS=20", PayloadWritten: true, Err: context.Canceled}}
	if !onWire(lost) || !unanswered(lost) {
		t.Error("a cancellation after the PDU went out is uncertain")
	}
	refused := &modem.SendError{Parts: 1, OnWire: true, Err: &at.CommandError{Cmd: "AT+CMGS=20", Err: &at.CMSError{Code: 38}}}
	if unanswered(refused) {
		t.Error("a +CMS ERROR is the modem's answer")
	}
}
