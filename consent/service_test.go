package consent_test

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/consent"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

func newService(t *testing.T, o consent.Options) (*consent.Service, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "smsgw.db"), queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	svc, err := consent.New(o, st)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// Received messages through the service: what is a keyword, what is
// answered and how often, and where the sender's number comes from.
func TestServiceInbound(t *testing.T) {
	o := consent.DefaultOptions()
	o.Program, o.Contact, o.CallingCode = "Shop", "shop.example", "49"
	svc, st := newService(t, o)
	ctx := context.Background()
	id := int64(0)
	in := func(from, text string) consent.Outcome {
		t.Helper()
		id++
		out, err := svc.Inbound(ctx, consent.Received{InboxID: id, Modem: "m1", From: from, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := in("+4915112345678", "stop the car"); out.Keyword || out.Reply != "" {
		t.Errorf("a sentence with STOP in it: %+v", out)
	}
	if out := in("+4915112345678", "yes"); out.Keyword {
		t.Errorf("YES without a request: %+v", out)
	}
	if out := in("BANK", "STOP"); out.Keyword {
		t.Errorf("STOP from an alphanumeric sender: %+v", out)
	}
	// A national sender is placed with the default country.
	out := in("015112345678", " Stop! ")
	if !out.Keyword || out.Reply != o.Text(o.OptOutReply) || out.Applied.Record.Number != "+4915112345678" {
		t.Fatalf("STOP from a national number: %+v", out)
	}
	if out := in("+4915112345678", "UNSUBSCRIBE"); !out.Keyword || out.Reply != "" {
		t.Errorf("a second opt-out word: %+v (want recognised, not answered)", out)
	}
	for range 2 {
		if out := in("+4915112345678", "help"); out.Reply != o.Text(o.HelpReply) {
			t.Errorf("HELP: %+v", out)
		}
	}
	if out := in("+4915112345678", "START"); out.Reply != o.Text(o.OptInReply) || out.Applied.Record.Action != consent.ActionOptIn {
		t.Errorf("START: %+v", out)
	}
	rs, err := st.Ledger(ctx, consent.LedgerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 { // opt-out, help, help, opt-in
		t.Errorf("%d ledger records, want 4: %+v", len(rs), rs)
	}

	off := o
	off.Enabled = false
	quiet, _ := newService(t, off)
	if out, err := quiet.Inbound(ctx, consent.Received{InboxID: 1, From: "+4915112345678", Text: "STOP"}); err != nil || out.Keyword {
		t.Errorf("disabled: %+v, %v", out, err)
	}
	if _, err := svc.Record(ctx, consent.Record{Number: "x", Action: consent.ActionOptOut}, ""); err == nil {
		t.Error("a bad number was recorded")
	}
}
