package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/modem/pdu"
)

func sendSMS(t *testing.T, c *client, prompt, to, text string, srr bool) string {
	t.Helper()
	hx, n := submitPDU(t, to, text, srr)
	c.send(fmt.Sprintf("AT+CMGS=%d\r", n))
	c.waitFor(prompt)
	c.send(hx + "\x1a")
	return c.waitFor("OK\r\n")
}

func TestSendBetweenModems(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{Profile: "generic"})
	b := addModem(t, n, Options{Profile: "simcom-sim800"})
	ca := openClient(t, a.Path())
	cb := openClient(t, b.Path())
	ca.cmd("ATE0")
	ca.cmd("AT+CMEE=1;+CNMI=2,1,0,2,0")
	cb.waitFor("SMS Ready\r\n")
	cb.cmd("ATE0")

	got := sendSMS(t, ca, "\r\n> ", b.Number(), "hello", true)
	if !strings.HasSuffix(got, "\r\n+CMGS: 0\r\n\r\nOK\r\n") {
		t.Fatalf("CMGS: %q", got)
	}
	cb.waitFor("\r\n+CMTI: \"SM\",1\r\n")
	rd := cb.cmd("AT+CMGR=1")
	if !strings.Contains(rd, "+CMGR: 0,\"\",") {
		t.Fatalf("CMGR header: %q", rd)
	}
	d, ok := pduAfter(t, rd, "+CMGR:").(*pdu.Deliver)
	if !ok || d.From.String() != a.Number() || textOf(t, d) != "hello" || !d.StatusReportIndication {
		t.Fatalf("CMGR: %q -> %+v", rd, d)
	}
	// Status report back to the sender, <ds>=2 stores it in SR.
	ind := ca.waitFor("\r\n")
	ind += ca.waitFor("\r\n")
	if !strings.Contains(ind, `+CDSI: "SR",1`) {
		t.Fatalf("want CDSI, got %q", ind)
	}
	// MR increments.
	got = sendSMS(t, ca, "\r\n> ", "+4915112345678", "out", false)
	if !strings.Contains(got, "+CMGS: 1\r\n") {
		t.Fatalf("second CMGS: %q", got)
	}
	ob := n.Outbox()
	if len(ob) != 1 || ob[0].To != "+4915112345678" || ob[0].MR != 1 {
		t.Fatalf("outbox %+v", ob)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if all, err := n.WaitSubmitted(ctx, 2); err != nil || len(all) != 2 || !all[0].Internal {
		t.Fatalf("submitted %+v %v", all, err)
	}
}

func TestRoutingWithoutPlus(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{})
	b := addModem(t, n, Options{Number: "+4915100000001", Profile: "simcom-sim800"})
	if _, err := n.AddModem(t.Context(), Options{Dir: t.TempDir(), Number: "4915100000001"}); err == nil {
		t.Fatal("duplicate number accepted")
	}
	if _, err := n.AddModem(t.Context(), Options{Dir: filepath.Dir(a.Path()), Name: filepath.Base(a.Path())}); err == nil {
		t.Fatal("duplicate port accepted")
	}
	ca, cb := openClient(t, a.Path()), openClient(t, b.Path())
	ca.cmd("ATE0")
	cb.cmd("ATE0")
	sendSMS(t, ca, "\r\n> ", "4915100000001", "national", false)
	cb.waitFor("+CMTI: \"SM\",1\r\n")
	if len(n.Outbox()) != 0 {
		t.Fatalf("routed outside: %+v", n.Outbox())
	}
}

func TestKeepBoundsHistory(t *testing.T) {
	n := NewNetwork(NetworkOptions{Keep: 2})
	t.Cleanup(func() { n.Close(context.Background()) })
	a := addModem(t, n, Options{})
	c := openClient(t, a.Path())
	c.cmd("ATE0")
	for i := 0; i < 3; i++ {
		sendSMS(t, c, "\r\n> ", "+4915112345678", fmt.Sprintf("m%d", i), false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := n.WaitSubmitted(ctx, 3)
	if err != nil || len(got) != 2 || got[0].MR != 1 || len(n.Outbox()) != 2 {
		t.Fatalf("kept %+v, %v", got, err)
	}
}
