package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/modem/pdu"
)

func TestDirectDeliveryWithAck(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{})
	b := addModem(t, n, Options{Profile: "quectel-ec25", AckTimeout: time.Hour})
	ca, cb := openClient(t, a.Path()), openClient(t, b.Path())
	ca.cmd("ATE0;+CMEE=1;+CNMI=2,1,0,1,0")
	cb.cmd("ATE0;+CMEE=1")
	if got := cb.cmd("AT+CSMS=1"); got != "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n" {
		t.Fatalf("CSMS %q", got)
	}
	cb.cmd("AT+CNMI=1,2,0,0,0")
	sendSMS(t, ca, "\r\n> ", b.Number(), "direct", true)
	got := cb.waitFor("\r\n")
	got += cb.waitFor("\r\n")
	got += cb.waitFor("\r\n")
	if !strings.HasPrefix(got, "\r\n+CMT: ,") {
		t.Fatalf("CMT %q", got)
	}
	if d := pduAfter(t, got, "+CMT:"); textOf(t, d) != "direct" {
		t.Fatalf("CMT text %q", textOf(t, d))
	}
	// The status report waits for the acknowledgement.
	cb.cmd("AT+CNMA")
	rep := ca.waitFor("\r\n")
	rep += ca.waitFor("\r\n")
	rep += ca.waitFor("\r\n")
	sr, ok := pduAfter(t, rep, "+CDS:").(*pdu.StatusReport)
	if !ok || sr.MR != 0 || !sr.Status.Delivered() || sr.Recipient.String() != b.Number() {
		t.Fatalf("CDS %q -> %+v", rep, sr)
	}
	cb.send("AT+CNMA\r")
	cb.waitFor("\r\n+CMS ERROR: 340\r\n")
	if len(b.Messages()) != 0 {
		t.Fatalf("direct delivery stored something: %+v", b.Messages())
	}
}

func TestMissingAckDisablesRouting(t *testing.T) {
	n := newNet(t)
	b := addModem(t, n, Options{AckTimeout: time.Millisecond})
	cb := openClient(t, b.Path())
	cb.cmd("ATE0;+CSMS=1;+CNMI=2,2,0,0,0")
	if err := n.Deliver(b.Number(), "+491700000001", "again"); err != nil {
		t.Fatal(err)
	}
	cb.waitFor("+CMT: ,")
	cb.waitFor("\r\n")
	// No +CNMA: the modem turns routing off; poll the setting.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(cb.cmd("AT+CNMI?"), "+CNMI: 2,0,0,0,0") {
		if time.Now().After(deadline) {
			t.Fatal("routing still on after missed ack")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The network redelivers once routing is back (here: stored + CMTI).
	cb.send("AT+CNMI=2,1,0,0,0\r")
	if got := cb.waitFor("+CMTI: \"SM\",1\r\n"); !strings.HasPrefix(got, "\r\nOK\r\n") {
		t.Fatalf("redelivery %q", got)
	}
}

func TestStorageFull(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "simcom-sim800", SIMCapacity: 2})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	for i := 1; i <= 3; i++ {
		if err := n.Deliver(m.Number(), "+491700000001", fmt.Sprintf("msg %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.waitFor("+CMTI: \"SM\",1\r\n")
	c.waitFor("+CMTI: \"SM\",2\r\n")
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `+CPMS: "SM",2,2,"SM",2,2,"SM",2,2`) {
		t.Fatalf("CPMS %q", got)
	}
	c.send("AT+CMGW=20\r")
	c.waitFor("\r\n+CMS ERROR: 322\r\n")
	// Deleting makes room: the network retries the held message.
	if got := c.cmd("AT+CMGD=1"); got != "\r\nOK\r\n" {
		t.Fatalf("CMGD %q", got)
	}
	c.waitFor("\r\n+CMTI: \"SM\",1\r\n")
	if d := pduAfter(t, c.cmd("AT+CMGR=1"), "+CMGR:"); textOf(t, d) != "msg 3" {
		t.Fatalf("third message %q", textOf(t, d))
	}
	// FillStorage leaves no room at all.
	c.cmd("AT+CMGD=1,4")
	m.FillStorage()
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",2,2`) {
		t.Fatalf("after FillStorage %q", got)
	}
}

func TestMultipartOutOfOrder(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CNMI=2,1,0,0,0")
	text := strings.Repeat("Ünïcödé and ✓ checks, ", 8)
	if err := n.DeliverText(m.Number(), "Bank", text, DeliverOptions{Ref: 7, Order: []int{3, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	c.waitFor("+CMTI: \"SM\",3\r\n")
	got := c.cmd("AT+CMGL=4")
	var pdus [][]byte
	var seqs []int
	for _, sm := range m.Messages() {
		pdus = append(pdus, sm.PDU)
		msg, err := pdu.Decode(sm.PDU)
		if err != nil {
			t.Fatal(err)
		}
		cc, _ := pdu.ConcatOf(msg)
		seqs = append(seqs, cc.Seq)
		if d := msg.(*pdu.Deliver); d.From.String() != "Bank" {
			t.Fatalf("sender %q", d.From.String())
		}
	}
	if fmt.Sprint(seqs) != "[3 1 2]" || strings.Count(got, "+CMGL:") != 3 {
		t.Fatalf("order %v, list %q", seqs, got)
	}
	content, err := pdu.JoinPDUs(pdus, true)
	if err != nil || content.Text != text {
		t.Fatalf("joined %q %v", content.Text, err)
	}
	// Listing marked them read.
	if got := c.cmd("AT+CMGL=0"); got != "\r\nOK\r\n" {
		t.Fatalf("unread after list %q", got)
	}
}

func TestSubmitErrors(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "telit"})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	hx, l := submitPDU(t, "+4915112345678", "x", false)
	// Wrong length.
	c.send(fmt.Sprintf("AT+CMGS=%d\r", l+1))
	c.waitFor("> ")
	c.send(hx + "\x1a")
	c.waitFor("\r\n+CMS ERROR: 304\r\n")
	// Not hex.
	c.send(fmt.Sprintf("AT+CMGS=%d\r", l))
	c.waitFor("> ")
	c.send("ZZ" + hx[2:] + "\x1a")
	c.waitFor("\r\n+CMS ERROR: 304\r\n")
	// ESC aborts with OK and sends nothing.
	c.send(fmt.Sprintf("AT+CMGS=%d\r", l))
	c.waitFor("> ")
	c.send(hx + "\x1b")
	c.waitFor("\r\nOK\r\n")
	// A PDU sent without waiting for the prompt is no command.
	c.send(hx + "\x1a")
	if got := c.waitFor("ERROR\r\n"); got != "\r\nERROR\r\n" {
		t.Fatalf("blind PDU %q", got)
	}
	// No SMSC in the PDU and none configured.
	c.cmd(`AT+CSCA=""`)
	c.send(fmt.Sprintf("AT+CMGS=%d\r", l))
	c.waitFor("> ")
	c.send(hx + "\x1a")
	c.waitFor("\r\n+CMS ERROR: 330\r\n")
	if len(n.Submitted()) != 0 {
		t.Fatalf("something was sent: %+v", n.Submitted())
	}
}

func TestMRWraps(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	_ = m.call(func() { m.sim.mr = 255 })
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	if got := sendSMS(t, c, "\r\n> ", "+4915112345678", "a", false); !strings.Contains(got, "+CMGS: 255\r\n") {
		t.Fatalf("first %q", got)
	}
	if got := sendSMS(t, c, "\r\n> ", "+4915112345678", "b", false); !strings.Contains(got, "+CMGS: 0\r\n") {
		t.Fatalf("wrapped %q", got)
	}
}

func TestCNMIMode0Buffer(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CNMI=0,1,0,0,0")
	if err := n.Deliver(m.Number(), "+491700000001", "buffered"); err != nil {
		t.Fatal(err)
	}
	// Stored while the indication stays in the TA; it comes out once
	// <mode> is 2 with <bfr>=0.
	deadline := time.Now().Add(10 * time.Second)
	for len(m.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not stored")
		}
		time.Sleep(time.Millisecond)
	}
	if got := c.cmd("AT+CNMI=2,1,0,0,0"); got != "\r\nOK\r\n" {
		t.Fatalf("CNMI %q", got)
	}
	c.waitFor("\r\n+CMTI: \"SM\",1\r\n")
}

func TestClassRouting(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	// <mt>=3: only class 3 is routed directly, the rest is stored.
	c.cmd("ATE0;+CNMI=2,3,0,0,0")
	if err := n.Deliver(m.Number(), "+491700000001", "plain"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("\r\n+CMTI: \"SM\",1\r\n")
	// <mt>=2: a flash (class 0) message is routed.
	c.cmd("AT+CNMI=2,2,0,0,0")
	if err := n.DeliverText(m.Number(), "+491700000001", "flash", DeliverOptions{Flash: true}); err != nil {
		t.Fatal(err)
	}
	got := c.waitFor("+CMT: ,")
	got += c.waitFor("\r\n")
	got += c.waitFor("\r\n")
	if d := pduAfter(t, "+CMT: ,"+strings.SplitN(got, "+CMT: ,", 2)[1], "+CMT:"); textOf(t, d) != "flash" {
		t.Fatalf("flash %q", got)
	}
}

func TestWriteAndSendFromStorage(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{})
	b := addModem(t, n, Options{})
	c := openClient(t, a.Path())
	c.cmd("ATE0;+CMEE=1")
	hx, l := submitPDU(t, "+4915112345678", "stored draft", false)
	c.send(fmt.Sprintf("AT+CMGW=%d\r", l))
	c.waitFor("> ")
	c.send(hx + "\x1a")
	if got := c.waitFor("OK\r\n"); got != "\r\n+CMGW: 1\r\n\r\nOK\r\n" {
		t.Fatalf("CMGW %q", got)
	}
	if got := c.cmd("AT+CMSS=1"); got != "\r\n+CMSS: 0\r\n\r\nOK\r\n" {
		t.Fatalf("CMSS %q", got)
	}
	if got := c.cmd(`AT+CMSS=1,"` + b.Number() + `"`); got != "\r\n+CMSS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("CMSS to other %q", got)
	}
	if got := c.cmd("AT+CMGL=3"); !strings.HasPrefix(got, "\r\n+CMGL: 1,3,,") {
		t.Fatalf("not marked sent %q", got)
	}
	sent := n.Submitted()
	if len(sent) != 2 || sent[0].To != "+4915112345678" || sent[1].To != b.Number() || !sent[1].Internal {
		t.Fatalf("submitted %+v", sent)
	}
	c.send("AT+CMSS=9\r")
	c.waitFor("+CMS ERROR: 321\r\n")
}

func TestReceiveIntoME(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "quectel-ec25"})
	if _, err := n.AddModem(t.Context(), Options{Dir: t.TempDir(), Number: "not a number"}); err == nil {
		t.Fatal("bad number accepted")
	}
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	if got := c.cmd(`AT+CPMS="ME","ME","ME"`); got != "\r\n+CPMS: 0,255,0,255,0,255\r\n\r\nOK\r\n" {
		t.Fatalf("CPMS ME %q", got)
	}
	c.send(`AT+CPMS="XX"` + "\r")
	c.waitFor("+CMS ERROR: 302\r\n")
	if err := n.Deliver(m.Number(), "+491700000001", "to flash"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("\r\n+CMTI: \"ME\",1\r\n")
	if d := pduAfter(t, c.cmd("AT+CMGR=1"), "+CMGR:"); textOf(t, d) != "to flash" {
		t.Fatalf("ME read %q", textOf(t, d))
	}
	if msgs := m.Messages(); len(msgs) != 1 || msgs[0].Mem != "ME" {
		t.Fatalf("stored %+v", msgs)
	}
}
