package gateway

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/modem"
	"smsgw/modem/at"
)

// TestUSSDRefusedOnEmulator: a modem that has lost its network refuses the
// request with +CME ERROR: 30, which reaches the API as a refusal naming
// the cause, not as an internal error.
func TestUSSDRefusedOnEmulator(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if reply, err := r.g.USSD(ctx, "sim0", "*100#"); err != nil || reply == "" {
		t.Fatalf("USSD on a registered modem: %q, %v", reply, err)
	}
	r.modems[0].SetRegistration(0)
	_, err := r.g.USSD(ctx, "sim0", "*100#")
	var ue *smsgw.USSDError
	if !errors.As(err, &ue) || ue.Kind != smsgw.USSDRefused || ue.Reason != "+CME ERROR: 30 (no network service)" {
		t.Fatalf("unregistered modem: %#v (%v)", ue, err)
	}
	if _, err := r.g.USSD(ctx, "nope", "*100#"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("unknown modem: %v", err)
	}
}

func TestUSSDErrorKinds(t *testing.T) {
	cmd := func(e error) error {
		return fmt.Errorf("ussd: %w", &at.CommandError{Cmd: `AT+CUSD=1,"*100#",15`, Err: e})
	}
	for _, c := range []struct {
		rep  modem.USSDReply
		err  error
		kind smsgw.USSDFailure
	}{
		{modem.USSDReply{}, cmd(&at.CMEError{Code: 3}), smsgw.USSDRefused},
		{modem.USSDReply{}, cmd(&at.CMSError{Code: 500}), smsgw.USSDRefused},
		{modem.USSDReply{}, cmd(&at.ResultError{Result: "ERROR"}), smsgw.USSDRefused},
		{modem.USSDReply{Status: 4}, fmt.Errorf("%w: status 4", modem.ErrUSSD), smsgw.USSDNetwork},
		{modem.USSDReply{Status: 2, Text: "bye"}, fmt.Errorf("%w: status 2", modem.ErrUSSD), smsgw.USSDNetwork},
		{modem.USSDReply{Status: 5}, fmt.Errorf("%w: status 5", modem.ErrUSSD), smsgw.USSDTimeout},
		{modem.USSDReply{}, fmt.Errorf("ussd: no reply within 30s: %w", at.ErrTimeout), smsgw.USSDTimeout},
		{modem.USSDReply{}, fmt.Errorf("ussd: %w", context.DeadlineExceeded), smsgw.USSDTimeout},
		{modem.USSDReply{}, errors.New("something odd"), smsgw.USSDNetwork},
	} {
		var ue *smsgw.USSDError
		err := ussdError("m1", c.rep, c.err)
		if !errors.As(err, &ue) || ue.Kind != c.kind || ue.Reason == "" {
			t.Errorf("%v: got %v", c.err, err)
		}
	}
	if err := ussdError("m1", modem.USSDReply{}, fmt.Errorf("x: %w", at.ErrClosed)); !errors.Is(err, smsgw.ErrUnavailable) {
		t.Errorf("closed port: %v", err)
	}
}
