package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"smsgw"
	"smsgw/hooks"
	"smsgw/modem/pdu"
	"smsgw/modem/sim"
	"smsgw/queue"
)

// 200 messages through 4 emulated modems: all sent, spread across the
// modems, none twice.
func TestTwoHundredThroughFourModems(t *testing.T) {
	r := newRig(t, rigOptions{modems: 4, submitDelay: 2 * time.Millisecond})
	r.waitReady(4)
	var all []int64
	for i := 0; i < 200; i++ {
		all = append(all, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770000"}, Text: fmt.Sprintf("msg-%03d", i)}))...)
	}
	r.waitStates(all, 60*time.Second, smsgw.StateSent)
	perText := map[string]int{}
	perModem := map[string]int{}
	for _, s := range r.net.Submitted() {
		txt, err := s.Text()
		if err != nil {
			t.Fatal(err)
		}
		perText[txt]++
		perModem[s.From]++
	}
	for i := 0; i < 200; i++ {
		if n := perText[fmt.Sprintf("msg-%03d", i)]; n != 1 {
			t.Errorf("msg-%03d submitted %d times", i, n)
		}
	}
	if len(perModem) != 4 {
		t.Errorf("sent by %d modems, want all 4: %v", len(perModem), perModem)
	}
	for from, n := range perModem {
		if n < 10 {
			t.Errorf("modem %s sent only %d of 200: not spread", from, n)
		}
	}
	t.Logf("spread: %v", perModem)
}

// A multipart message whose parts arrive out of order, with the daemon
// restarted between parts: the script gets the joined text exactly once.
func TestInboundOutOfOrderAcrossRestart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "received.txt")
	script := filepath.Join(t.TempDir(), "on-sms")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s|%s|%s\\n' \"$SMS_MESSAGES\" \"$SMS_1_NUMBER\" \"$DECODED_1_TEXT\" >> \""+out+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) {
		c.Inbound.Exec = []string{script}
	}})
	r.waitReady(1)
	text := strings.Repeat("Ünïcödé 🌍 parts ", 9) + "end"
	from := "+4915112345678"
	nparts := 0
	if segs, err := pdu.SegmentText(text, pdu.SegmentOptions{}); err == nil {
		nparts = len(segs)
	}
	if nparts < 3 {
		t.Fatalf("text makes %d parts, want at least 3", nparts)
	}
	to := r.modems[0].Number()
	deliver := func(order ...int) {
		t.Helper()
		if err := r.net.DeliverText(to, from, text, sim.DeliverOptions{Ref: 77, Order: order}); err != nil {
			t.Fatal(err)
		}
	}
	// Last part first; wait until it is committed and gone from the SIM.
	deliver(nparts)
	r.waitFor("first part committed", 10*time.Second, func() bool {
		return len(r.modems[0].Messages()) == 0 && r.member("sim0").Status().Received == 1
	})
	r.stop()
	// While the daemon is down the other parts land on the SIM, out of
	// order; the start-up sweep collects them.
	var rest []int
	for i := nparts - 1; i >= 1; i-- {
		rest = append(rest, i)
	}
	deliver(rest...)
	r.waitFor("parts stored on the SIM", 10*time.Second, func() bool { return len(r.modems[0].Messages()) == nparts-1 })
	r.start()
	r.waitFor("script ran", 20*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		return len(b) > 0
	})
	// Give a duplicate run a chance to show up before checking "once".
	r.waitFor("SIM emptied", 10*time.Second, func() bool { return len(r.modems[0].Messages()) == 0 })
	time.Sleep(200 * time.Millisecond)
	b, _ := os.ReadFile(out)
	want := fmt.Sprintf("%d|%s|%s\n", nparts, from, text)
	if string(b) != want {
		t.Errorf("script output:\n%q\nwant once:\n%q", b, want)
	}
	if in := r.inbox(); len(in) != 1 || in[0].Text != text || !in[0].Complete {
		t.Errorf("inbox: %+v", in)
	}
}

// Delivery reports are matched per part; a message with one part without
// a "delivered" report is not delivered, and shows which part.
func TestDeliveryReportsPerPart(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1, submitDelay: 150 * time.Millisecond})
	r.waitReady(1)
	text := strings.Repeat("three parts of GSM text ", 18)
	// The reports are planned by each part's place in the network's order,
	// so that none depends on how fast the test reacts: message 1 (parts
	// 1-3) loses its third report, message 2 (4-6) gets every report,
	// message 3 (7-9) has its third part expire.
	r.net.SetReportRule(func(seq int) (pdu.Status, bool) {
		switch seq {
		case 3:
			return 0, true
		case 9:
			return pdu.Status(0x46), false
		}
		return pdu.StatusDelivered, false
	})
	defer r.net.SetReportRule(nil)
	ms := r.enqueue(queue.NewMessage{To: []string{"+15557770001"}, Text: text, Report: true})
	r.waitStates(ids(ms), 20*time.Second, smsgw.StateSent, smsgw.StateDelivered)
	r.waitFor("two reports applied", 10*time.Second, func() bool {
		n := 0
		for _, p := range r.get(ms[0].ID).Parts {
			if p.Status == queue.PartDelivered {
				n++
			}
		}
		return n == 2
	})
	m := r.get(ms[0].ID)
	if m.State != smsgw.StateSent || len(m.Parts) != 3 || m.Parts[2].Status == queue.PartDelivered {
		t.Errorf("state %s, parts %+v; want sent with part 3 unconfirmed", m.State, m.Parts)
	}
	// With every report, the next message is delivered.
	ms2 := r.enqueue(queue.NewMessage{To: []string{"+15557770001"}, Text: text, Report: true})
	r.waitStates(ids(ms2), 20*time.Second, smsgw.StateDelivered)

	// A part the network reports as expired fails the message, with the
	// part's status code kept.
	ms3 := r.enqueue(queue.NewMessage{To: []string{"+15557770001"}, Text: text, Report: true})
	r.waitStates(ids(ms3), 20*time.Second, smsgw.StateFailed)
	m3 := r.get(ms3[0].ID)
	if m3.Parts[0].Status != queue.PartDelivered || m3.Parts[2].Status != queue.PartFailed || m3.Parts[2].StatusCode != 0x46 {
		t.Errorf("parts after an expired report: %+v", m3.Parts)
	}
}

// A modem unplugged mid-send: its message completes on another modem; the
// modem comes back under the same id when replugged.
func TestUnplugMidSend(t *testing.T) {
	r := newRig(t, rigOptions{modems: 2, submitDelay: 5 * time.Millisecond})
	r.waitReady(2)
	if err := r.modems[1].Unplug(); err != nil {
		t.Fatal(err)
	}
	r.waitFor("sim1 offline", 10*time.Second, func() bool { return r.member("sim1").State() != "ready" })
	r.modems[0].SetSubmitDelay(3 * time.Second)
	ms := r.enqueue(queue.NewMessage{To: []string{"+15557770002"}, Text: "unplug me"})
	r.waitFor("sim0 sending", 10*time.Second, func() bool {
		m := r.get(ms[0].ID)
		return m.State == smsgw.StateSending && m.Modem == "sim0"
	})
	time.Sleep(100 * time.Millisecond) // the CMGS is on the wire now
	if err := r.modems[1].Replug(); err != nil {
		t.Fatal(err)
	}
	if err := r.modems[0].Unplug(); err != nil {
		t.Fatal(err)
	}
	r.waitStates(ids(ms), 20*time.Second, smsgw.StateSent)
	if m := r.get(ms[0].ID); m.Modem != "sim1" {
		t.Errorf("sent by %s, want sim1", m.Modem)
	}
	imei := r.member("sim0").Identity().IMEI
	r.waitFor("sim0 offline", 10*time.Second, func() bool { return r.member("sim0").State() != "ready" })
	r.modems[0].SetSubmitDelay(0)
	if err := r.modems[0].Replug(); err != nil {
		t.Fatal(err)
	}
	r.waitFor("sim0 back", 20*time.Second, func() bool { return r.member("sim0").State() == "ready" })
	st := r.member("sim0").Status()
	if st.Identity.IMEI != imei || st.Reconnects < 1 {
		t.Errorf("after replug: %+v", st)
	}
	ms2 := r.enqueue(queue.NewMessage{To: []string{"+15557770002"}, Text: "back again", Modem: "sim0"})
	r.waitStates(ids(ms2), 20*time.Second, smsgw.StateSent)
}

// A hung modem, a modem answering +CMS errors and a full SIM, at once:
// each handled, the healthy modem unaffected.
func TestFaultyModemsDoNotBlockOthers(t *testing.T) {
	r := newRig(t, rigOptions{modems: 4, submitDelay: 2 * time.Millisecond, health: 200 * time.Millisecond, opTimeout: time.Second,
		opts: func(c *Options) { c.Inbound.SweepInterval = 200 * time.Millisecond }})
	r.waitReady(4)
	hung, erring, full, healthy := r.modems[0], r.modems[1], r.modems[2], r.modems[3]
	hung.Hang(true)
	erring.FailSubmits(1000, 38) // network out of order: temporary
	full.FillStorage()

	var all []int64
	for i := 0; i < 40; i++ {
		all = append(all, ids(r.enqueue(queue.NewMessage{To: []string{"+15557770003"}, Text: fmt.Sprintf("fault-%02d", i)}))...)
	}
	r.waitStates(all, 60*time.Second, smsgw.StateSent)
	for _, id := range all {
		if m := r.get(id); m.Modem == "sim0" || m.Modem == "sim1" {
			t.Errorf("message %d reported sent by faulty %s", id, m.Modem)
		}
	}
	// A permanent error fails at once with its code and meaning.
	erring.FailSubmits(1, 1) // unassigned number
	perm := r.enqueue(queue.NewMessage{To: []string{"+15557770004"}, Text: "to nowhere", Modem: "sim1"})
	r.waitStates(ids(perm), 30*time.Second, smsgw.StateFailed)
	if m := r.get(perm[0].ID); m.ErrorCode != 1 || m.ErrorClass != queue.Permanent || !strings.Contains(m.Error, "nassigned") {
		t.Errorf("permanent failure recorded as %+v", m)
	}
	// The full SIM was drained; inbound flows again.
	if err := r.net.Deliver(full.Number(), "+4917000000", "after the flood"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("message on the drained SIM received", 20*time.Second, func() bool {
		for _, m := range r.inbox() {
			if m.Text == "after the flood" && m.Modem == "sim2" {
				return true
			}
		}
		return false
	})
	if st := r.member("sim3").Status(); st.Failed != 0 || st.Sent == 0 {
		t.Errorf("healthy modem: %+v", st)
	}
	_ = healthy
	// The hung modem was found out and is being recovered.
	r.waitFor("hung modem out of service", 30*time.Second, func() bool { return r.member("sim0").State() != "ready" })
	hung.Hang(false)
}

// Configured webhooks get sms:sent, sms:delivered and sms:received through
// the durable outbox, signed, and a failing receiver is retried.
func TestWebhooksThroughOutbox(t *testing.T) {
	type got struct {
		env smsgw.Event
		sig bool
	}
	ch := make(chan got, 64)
	fails := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if fails.Add(1) == 1 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		var e smsgw.Event
		json.Unmarshal(body, &e)
		ts := req.Header.Get("X-Timestamp")
		ch <- got{e, req.Header.Get("X-Signature") == hooks.Sign("s3cret", body, ts)}
	}))
	defer srv.Close()
	r := newRig(t, rigOptions{modems: 2, opts: func(c *Options) {
		c.Webhook.Targets = []string{srv.URL}
		c.Webhook.Secret = "s3cret"
	}})
	r.waitReady(2)
	r.enqueue(queue.NewMessage{To: []string{r.modems[1].Number()}, Text: "hook me", Modem: "sim0", Report: true})
	seen := map[string]smsgw.Event{}
	deadline := time.After(20 * time.Second)
	for len(seen) < 3 {
		select {
		case g := <-ch:
			if !g.sig {
				t.Errorf("bad signature on %s", g.env.Event)
			}
			seen[g.env.Event] = g.env
		case <-deadline:
			t.Fatalf("webhook events seen: %v", seen)
		}
	}
	var rcv hooks.Received
	if err := json.Unmarshal(seen[smsgw.EventReceived].Payload, &rcv); err != nil {
		t.Fatal(err)
	}
	if rcv.Message != "hook me" || rcv.PhoneNumber != r.modems[0].Number() || seen[smsgw.EventReceived].DeviceID != "sim1" ||
		seen[smsgw.EventSent].DeviceID != "sim0" || len(rcv.Parts) != 1 {
		t.Errorf("events: %+v / received payload %+v", seen, rcv)
	}
	if fails.Load() < 4 {
		t.Errorf("the first failed POST was not retried (%d posts)", fails.Load())
	}
}

// A send whose AT+CMGS result never comes in time may or may not have
// left: at-most-once marks it uncertain and never resends it; at-least-once
// resends it.
func TestCMGSTimeoutPolicy(t *testing.T) {
	for _, policy := range []string{policyAtMostOnce, policyAtLeastOnce} {
		t.Run(policy, func(t *testing.T) {
			r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) {
				c.Retry.AtMostOnce = policy == policyAtMostOnce
				c.Retry.SendTimeout = 300 * time.Millisecond
			}})
			r.waitReady(1)
			r.modems[0].SetSubmitDelay(time.Second)
			ms := r.enqueue(queue.NewMessage{To: []string{"+15557770005"}, Text: "maybe twice"})
			if policy == policyAtMostOnce {
				r.waitStates(ids(ms), 20*time.Second, smsgw.StateUncertain)
				r.modems[0].SetSubmitDelay(0)
				// Later traffic flows, and the uncertain one is not resent.
				more := r.enqueue(queue.NewMessage{To: []string{"+15557770005"}, Text: "next"})
				r.waitStates(ids(more), 20*time.Second, smsgw.StateSent)
				n := 0
				for _, s := range r.net.Submitted() {
					if txt, _ := s.Text(); txt == "maybe twice" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("uncertain message submitted %d times, want 1", n)
				}
				return
			}
			r.waitFor("first attempt timed out", 20*time.Second, func() bool { return r.get(ms[0].ID).Attempts >= 1 && r.get(ms[0].ID).State != smsgw.StateSending })
			r.modems[0].SetSubmitDelay(0)
			r.waitStates(ids(ms), 20*time.Second, smsgw.StateSent)
		})
	}
}

// Discovery on emulated modems: ports found by glob and probed with AT; a
// port that does not answer is left alone until it does; each modem is
// named after its IMEI and keeps that name across a replug.
func TestAutodetectEmulatedModems(t *testing.T) {
	r := newRig(t, rigOptions{modems: 0})
	r.stop()
	for i := 0; i < 2; i++ {
		m, err := r.net.AddModem(context.Background(), sim.Options{Dir: r.dir, Name: fmt.Sprintf("tty%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		r.modems = append(r.modems, m)
	}
	r.modems[1].Hang(true) // a trap port: never answers
	r.opts.Autodetect = AutodetectOptions{Enabled: true, Globs: []string{filepath.Join(r.dir, "tty*")},
		Interval: 50 * time.Millisecond, ProbeTimeout: 300 * time.Millisecond}
	r.start()
	id0 := "modem-" + r.modems[0].IMEI()
	r.waitFor("first modem discovered", 20*time.Second, func() bool {
		m, ok := r.g.Pool().Member(id0)
		return ok && m.State() == "ready"
	})
	if _, ok := r.g.Pool().Member("modem-" + r.modems[1].IMEI()); ok {
		t.Error("the silent port was adopted")
	}
	r.modems[1].Hang(false)
	id1 := "modem-" + r.modems[1].IMEI()
	r.waitFor("second modem discovered once it answers", 20*time.Second, func() bool {
		m, ok := r.g.Pool().Member(id1)
		return ok && m.State() == "ready"
	})
	ms := r.enqueue(queue.NewMessage{To: []string{"+15557770020"}, Text: "via discovered", Modem: id0})
	r.waitStates(ids(ms), 20*time.Second, smsgw.StateSent)

	if err := r.modems[0].Unplug(); err != nil {
		t.Fatal(err)
	}
	r.waitFor("offline", 20*time.Second, func() bool { return r.member(id0).State() != "ready" })
	if err := r.modems[0].Replug(); err != nil {
		t.Fatal(err)
	}
	r.waitFor("back under the same id", 20*time.Second, func() bool { return r.member(id0).State() == "ready" })
	if st := r.member(id0).Status(); st.Sent != 1 {
		t.Errorf("counters lost across the replug: %+v", st)
	}
	if n := len(r.g.Pool().Members()); n != 2 {
		t.Errorf("%d modems known, want 2", n)
	}
}

// A sender that cut an emoji's surrogate pair across two parts: the queue
// joins the payloads before decoding, so the emoji arrives whole.
func TestInboundSurrogateSplitAcrossParts(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1})
	r.waitReady(1)
	u16 := utf16.Encode([]rune("ab😀cd"))
	var payload []byte
	for _, c := range u16 {
		payload = append(payload, byte(c>>8), byte(c))
	}
	// "ab" + high surrogate | low surrogate + "cd"
	halves := [][]byte{payload[:6], payload[6:]}
	from, _ := pdu.ParseAddress("+4915100000002")
	for i, h := range halves {
		ud := append([]byte{0x05, 0x00, 0x03, 0x42, 0x02, byte(i + 1)}, h...)
		tpdu, err := pdu.EncodeTPDU(&pdu.Deliver{From: from, DCS: pdu.NewDCS(pdu.CodingUCS2, -1), SCTS: time.Now().Truncate(time.Second),
			UD: pdu.UserData{HeaderPresent: true, Length: len(ud), Raw: ud}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.net.DeliverPDU(r.modems[0].Number(), tpdu); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor("joined", 10*time.Second, func() bool { return len(r.inbox()) == 1 })
	if got := r.inbox()[0].Text; got != "ab😀cd" {
		t.Errorf("joined text %q, want %q", got, "ab😀cd")
	}
}

// A webhook taken out of the configuration stops being an outbox consumer
// at the next start, so it cannot hold back the pruning of old events.
func TestStaleWebhookConsumerRemoved(t *testing.T) {
	r := newRig(t, rigOptions{modems: 1, opts: func(c *Options) { c.Webhook.Targets = []string{"http://127.0.0.1:9/hook"} }})
	name := "webhook:" + webhookID("http://127.0.0.1:9/hook")
	has := func() bool {
		names, err := r.st.Consumers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
	if !has() {
		t.Fatalf("%s not registered", name)
	}
	r.stop()
	r.opts.Webhook.Targets = nil
	r.start()
	if has() {
		t.Errorf("%s still registered after it left the configuration", name)
	}
}
