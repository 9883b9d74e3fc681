package sim

import (
	"strings"
	"testing"
)

func TestTextMode(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{})
	b := addModem(t, n, Options{})
	ca, cb := openClient(t, a.Path()), openClient(t, b.Path())
	ca.cmd("ATE0;+CMGF=1;+CNMI=2,1,0,1,0;+CSMP=49,167,0,0")
	cb.cmd("ATE0;+CMGF=1;+CNMI=2,2,0,0,0")
	ca.send(`AT+CMGS="` + b.Number() + `"` + "\r")
	ca.waitFor("\r\n> ")
	ca.send("hello text\x1a")
	if got := ca.waitFor("OK\r\n"); !strings.HasSuffix(got, "\r\n+CMGS: 0\r\n\r\nOK\r\n") {
		t.Fatalf("CMGS %q", got)
	}
	got := cb.waitFor("hello text\r\n")
	if !strings.HasPrefix(got, "\r\n+CMT: \""+a.Number()+"\",,\"") {
		t.Fatalf("CMT %q", got)
	}
	rep := ca.waitFor("\r\n+CDS: 6,0,\"" + b.Number() + "\",145,\"")
	if rep == "" {
		t.Fatal("no text-mode CDS")
	}
	// Stored and listed in text mode; numeric <stat> is refused.
	cb.cmd("AT+CNMI=2,1,0,0,0")
	if err := n.Deliver(b.Number(), "+4917000000", "second"); err != nil {
		t.Fatal(err)
	}
	cb.waitFor("+CMTI: \"SM\",1\r\n")
	if got := cb.cmd(`AT+CMGL="ALL"`); !strings.Contains(got, "+CMGL: 1,\"REC UNREAD\",\"+4917000000\",,\"") || !strings.Contains(got, "\r\nsecond\r\n") {
		t.Fatalf("CMGL %q", got)
	}
	cb.send("AT+CMGL=4\r")
	cb.waitFor("\r\nERROR\r\n")
	if got := cb.cmd("AT+CMGR=1"); !strings.HasPrefix(got, "\r\n+CMGR: \"REC READ\",\"+4917000000\",,\"") {
		t.Fatalf("CMGR %q", got)
	}
	// PDU mode refuses the text form.
	cb.cmd("AT+CMGF=0")
	cb.send(`AT+CMGL="ALL"` + "\r")
	cb.waitFor("\r\nERROR\r\n")
}
