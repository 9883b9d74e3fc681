package gateway

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/modem/pdu"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

// deliverTPDU builds the SMS-DELIVER of text from sender with a fixed
// time stamp, so repeated calls give byte-identical PDUs.
func deliverTPDU(t *testing.T, from, text string, at time.Time) []byte {
	t.Helper()
	seg, err := pdu.SegmentText(text, pdu.SegmentOptions{})
	if err != nil || len(seg) != 1 {
		t.Fatalf("segment %q: %v", text, err)
	}
	a, err := pdu.ParseAddress(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pdu.EncodeTPDU(&pdu.Deliver{From: a, DCS: seg[0].DCS, SCTS: at, UD: seg[0].UD})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countText(in []queue.InboxMessage, text string) int {
	n := 0
	for _, m := range in {
		if m.Text == text {
			n++
		}
	}
	return n
}

func receivedEvents(t *testing.T, st *sqlite.Store) int {
	t.Helper()
	evs, err := st.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == queue.EventReceived {
			n++
		}
	}
	return n
}

// Identical SMS from one sender in the same second are different
// deliveries: every one reaches the inbox, whether they land in the SIM
// together or one after the other in the same (freed) slot.
func TestIdenticalSMSSameSecondAllArrive(t *testing.T) {
	r := newRig(t, rigOptions{modems: 2})
	r.waitReady(2)
	to := r.modems[1].Number()
	yes := deliverTPDU(t, "+4915112345678", "YES", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))

	// A burst: three byte-identical PDUs at once.
	for i := 0; i < 3; i++ {
		if err := r.net.DeliverPDU(to, yes); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor("3 identical messages in the inbox", 20*time.Second, func() bool { return countText(r.inbox(), "YES") == 3 })
	// One at a time: each lands in the slot the previous one left.
	for i := 0; i < 3; i++ {
		if err := r.net.DeliverPDU(to, yes); err != nil {
			t.Fatal(err)
		}
		want := 4 + i
		r.waitFor(fmt.Sprintf("%d identical messages", want), 20*time.Second, func() bool {
			return countText(r.inbox(), "YES") == want && len(r.modems[1].Messages()) == 0
		})
	}
	// The case as users meet it: three sends of "YES" from one modem to
	// another, back to back.
	for i := 0; i < 3; i++ {
		r.enqueue(queue.NewMessage{To: []string{to}, Text: "yes", Modem: "sim0"})
	}
	r.waitFor("3 sent copies received", 30*time.Second, func() bool { return countText(r.inbox(), "yes") == 3 })
	r.waitFor("SIM emptied", 10*time.Second, func() bool { return len(r.modems[1].Messages()) == 0 })
	r.stop()
	r.start()
	r.waitReady(2)
	if n := countText(r.inbox(), "YES"); n != 6 {
		t.Errorf("after a restart: %d of 6 identical messages", n)
	}
	if n := receivedEvents(t, r.st); n != 9 {
		t.Errorf("%d inbox.received events, want 9", n)
	}
}

// A crash between the commit of a stored message and its AT+CMGD: after
// the restart the sweep reads the slot again and stores nothing, also when
// the user deleted the message from the inbox in between; once the slot is
// deleted, the same bytes arriving in it again are a new message.
func TestCrashBetweenCommitAndDelete(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	r.stop()
	m := r.modems[0]
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	kept := append([]byte{0}, deliverTPDU(t, "+4915112345678", "kept", at)...)
	gone := append([]byte{0}, deliverTPDU(t, "+4915112345678", "code 123456", at)...)

	// The state a crash leaves: both parts committed (with their slots),
	// neither deleted from the SIM; the user then deleted one from the
	// inbox.
	st, err := sqlite.Open(r.db, QueueOptions(r.opts), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var goneID int64
	for _, raw := range [][]byte{kept, gone} {
		idx, err := m.StorePDU("SM", 1, raw)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := pdu.Decode(raw)
		res, err := st.AddInboundPart(ctx, queue.InboundPart{Modem: "sim0", Sender: "+4915112345678", SCTS: at,
			PDU: raw, Slot: &queue.Slot{Storage: "SM", Index: idx}})
		if err != nil || res.InboxID == 0 {
			t.Fatalf("commit %v: %+v, %v", msg, res, err)
		}
		goneID = res.InboxID
	}
	if err := st.DeleteInbox(ctx, goneID); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	r.start()
	r.waitReady(1)
	r.waitFor("SIM drained by the start-up sweep", 20*time.Second, func() bool { return len(m.Messages()) == 0 })
	in := r.inbox()
	if len(in) != 1 || in[0].Text != "kept" {
		t.Fatalf("inbox after restart: %+v", in)
	}
	if n := receivedEvents(t, r.st); n != 2 {
		t.Errorf("%d inbox.received events, want the 2 of the first commit", n)
	}
	if got := r.member("sim0").Status().Received; got != 0 {
		t.Errorf("received counter %d after re-reading committed slots", got)
	}
	// The delete is confirmed: the slot is free, and the same bytes
	// landing there again are a new message.
	if err := r.net.DeliverPDU(m.Number(), kept[1:]); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the same bytes again, as a new message", 20*time.Second, func() bool { return countText(r.inbox(), "kept") == 2 })
}

// malformedPDUs are received PDUs (SMSC field first) no decoder can read.
var malformedPDUs = []string{
	"00040B914497",                   // address cut short
	"00040B914497214365F70000620122", // time stamp cut short
	"00440B914497214365F7000862012221000000" + "0A" + "0500", // header cut with the user data
	"07911326040000F0", // SMSC only
	"00040B914497214365F7000462012221000000" + "8D" + "41", // TP-UDL beyond 140 octets
}

// lenientPDUs decode with defects.
var lenientPDUs = []string{
	"00040B914497214365F700006201222100A0C203D9E214", // non-decimal time stamp nibbles
	"00040B914497214365F700006201222100000005D9E214", // user data two octets short
}

// A SIM filled with PDUs the decoder refuses is drained: each is committed
// raw (undecodable) or leniently (with defects), forwarded to the hooks,
// and deleted; then a normal SMS arrives.
func TestMalformedSIMDrained(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "runs.txt")
	script := filepath.Join(dir, "on-sms")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s|%s|%s\\n' \"$SMSGW_UNDECODABLE\" \"$SMSGW_ERROR\" \"$SMSGW_TEXT\" >> \""+out+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) { c.Inbound.Exec = []string{script} }})
	r.waitReady(1)
	r.stop()
	m := r.modems[0]
	var raws [][]byte
	for _, h := range append(append([]string{}, malformedPDUs...), lenientPDUs...) {
		b, _ := hex.DecodeString(h)
		raws = append(raws, b)
	}
	n := m.FillStorageWith(raws)
	if n < len(raws) {
		t.Fatalf("filled %d slots", n)
	}
	bad := 0
	for i := 0; i < n; i++ {
		if i%len(raws) < len(malformedPDUs) {
			bad++
		}
	}
	began := time.Now()
	r.start()
	r.waitReady(1)
	r.waitFor("SIM drained", 30*time.Second, func() bool { return len(m.Messages()) == 0 })
	t.Logf("a SIM full of %d unreadable or odd PDUs drained %v after start", n, time.Since(began).Round(time.Millisecond))
	in := r.inbox()
	if len(in) != n {
		t.Fatalf("inbox has %d messages, want the %d that were on the SIM", len(in), n)
	}
	undecodable, defective := 0, 0
	for _, msg := range in {
		switch {
		case msg.Undecodable:
			undecodable++
			if msg.PDU == "" || msg.Error == "" || msg.Storage != "SM" || msg.Slot < 0 || msg.Modem != "sim0" {
				t.Errorf("raw record %+v", msg)
			}
		case len(msg.Defects) > 0:
			defective++
			if msg.Text != "YES" {
				t.Errorf("lenient message text %q", msg.Text)
			}
		default:
			t.Errorf("message neither undecodable nor defective: %+v", msg)
		}
	}
	if undecodable != bad || defective != n-bad {
		t.Errorf("%d undecodable, %d with defects; want %d and %d", undecodable, defective, bad, n-bad)
	}
	// And the SIM receives again.
	if err := r.net.Deliver(m.Number(), "+4915112345678", "after the flood"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("a normal SMS after the drain", 20*time.Second, func() bool { return countText(r.inbox(), "after the flood") == 1 })
	r.waitFor("the script ran for every message", 30*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Count(string(b), "\n") == n+1
	})
	b, _ := os.ReadFile(out)
	if got := strings.Count(string(b), "1|pdu: "); got != bad {
		t.Errorf("script saw %d undecodable messages, want %d:\n%s", got, bad, b)
	}
}

// A stored message whose AT+CMGD failed stays on the SIM with its slot
// pending. The user deletes it from the inbox; the next sweep (here the
// one at start-up) reads the slot again: the message does not come back
// and no hook runs a second time, and the slot is freed.
func TestInboxDeleteSurvivesSweep(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "runs.txt")
	script := filepath.Join(dir, "on-sms")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s %s\\n' \"$SMSGW_ID\" \"$SMSGW_TEXT\" >> \""+out+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) { c.Inbound.Exec = []string{script} }})
	r.waitReady(1)
	m := r.modems[0]
	// Every delete fails until the restart, whatever sweeps run meanwhile.
	m.FailDeletes(1000, 0)
	code := deliverTPDU(t, "+4915112345678", "code 123456", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err := r.net.DeliverPDU(m.Number(), code); err != nil {
		t.Fatal(err)
	}
	r.waitFor("message committed and its hook run", 20*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return len(r.inbox()) == 1 && strings.Contains(string(b), "code 123456\n")
	})
	if n := len(m.Messages()); n != 1 {
		t.Fatalf("%d messages on the SIM, want the one whose delete failed", n)
	}
	if err := r.st.DeleteInbox(context.Background(), r.inbox()[0].ID); err != nil {
		t.Fatal(err)
	}
	r.stop()
	m.FailDeletes(0, 0)
	r.start()
	r.waitReady(1)
	r.waitFor("the slot deleted by the start-up sweep", 20*time.Second, func() bool { return len(m.Messages()) == 0 })
	if in := r.inbox(); len(in) != 0 {
		t.Errorf("deleted message came back: %+v", in)
	}
	if n := receivedEvents(t, r.st); n != 1 {
		t.Errorf("%d inbox.received events, want 1", n)
	}
	// The slot is free again: the same bytes are a new message, with its
	// own event and hook run.
	if err := r.net.DeliverPDU(m.Number(), code); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the new message and its hook", 20*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return len(r.inbox()) == 1 && strings.Contains(string(b), fmt.Sprintf("%d code 123456\n", r.inbox()[0].ID))
	})
	// Hooks are at least once: a run may repeat across the restart, but
	// only for the two events there are.
	b, _ := os.ReadFile(out)
	ids := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		id, text, _ := strings.Cut(l, " ")
		if text != "code 123456" {
			t.Errorf("hook line %q", l)
		}
		ids[id] = true
	}
	if len(ids) != 2 {
		t.Errorf("hooks ran for %d messages, want 2:\n%s", len(ids), b)
	}
}
