package sim

import (
	"fmt"
	"strings"
	"testing"

	"smsgw/modem/pdu"
)

// TestPromptPerProfile sends one SMS through every profile and checks the
// exact bytes between the echoed command and the PDU entry.
func TestPromptPerProfile(t *testing.T) {
	for _, name := range Profiles() {
		t.Run(name, func(t *testing.T) {
			n := newNet(t)
			m := addModem(t, n, Options{Profile: name})
			c := openClient(t, m.Path())
			c.cmd("AT")
			hx, l := submitPDU(t, "+4915112345678", "prompt test", false)
			cmdLine := fmt.Sprintf("AT+CMGS=%d\r", l)
			c.send(cmdLine)
			p := m.Profile().Prompt
			want := cmdLine
			if u := m.Profile().SubmitURCs; len(u) > 0 {
				want += "\r\n" + strings.Join(u, "\r\n") + "\r\n"
			}
			want += p
			got := c.waitFor(p)
			if got != want {
				t.Fatalf("prompt: got %q, want %q", got, want)
			}
			c.send(hx + "\x1a")
			res := c.waitFor("OK\r\n")
			if !strings.HasSuffix(res, "\r\n+CMGS: 0\r\n\r\nOK\r\n") {
				t.Fatalf("result %q", res)
			}
			// With echo on, the PDU characters come back after the prompt.
			if !strings.HasPrefix(res, hx) {
				t.Fatalf("PDU not echoed: %q", res)
			}
			ob := n.Outbox()
			if len(ob) != 1 {
				t.Fatalf("outbox %+v", ob)
			}
			if txt, err := ob[0].Text(); err != nil || txt != "prompt test" || ob[0].To != "+4915112345678" {
				t.Fatalf("outbox text %q %v to %s", txt, err, ob[0].To)
			}
		})
	}
}

func TestIdentityVariants(t *testing.T) {
	tests := []struct {
		profile string
		cmd     string
		want    string
	}{
		{"generic", "AT+CCID", "\r\n+CCID: 8900100000000000000\r\n\r\nOK\r\n"},
		{"simcom-sim800", "AT+CCID", "\r\n8900100000000000000\r\n\r\nOK\r\n"},
		{"simcom-sim800", "AT+CGMI", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n"},
		{"simcom-sim7600", "AT+CICCID", "\r\n+ICCID: 8900100000000000000\r\n\r\nOK\r\n"},
		{"huawei-e173", "AT^ICCID?", "\r\n^ICCID: 8900100000000000000\r\n\r\nOK\r\n"},
		{"huawei-e173", "AT+CCID", "\r\nCOMMAND NOT SUPPORT\r\n"},
		{"quectel-ec25", "AT+QCCID", "\r\n+QCCID: 8900100000000000000\r\n\r\nOK\r\n"},
		{"telit", "AT#CCID", "\r\n#CCID: 8900100000000000000\r\n\r\nOK\r\n"},
		{"wavecom", "AT+CGMI", "\r\n WAVECOM MODEM\r\n\r\nOK\r\n"},
		{"wavecom", "AT+CGMM", "\r\n MULTIBAND  900E  1800 \r\n\r\nOK\r\n"},
		{"wavecom", "AT+CGMR", "\r\nERROR\r\n"},
		{"wavecom", "AT+CPIN?", "\r\n+CPIN: READY\r\n"},
		{"wavecom", `AT+CPMS="SM","SM","SR"`, "\r\nERROR\r\n"},
		{"wavecom", `AT+CPMS="SM","SM"`, "\r\n+CPMS: 0,50,0,50\r\n\r\nOK\r\n"},
		{"wavecom", "AT+CPMS=?", "\r\n+CPMS: ((\"SM\",\"BM\",\"SR\"),(\"SM\"))\r\n\r\nOK\r\n"},
		{"huawei-e173", "AT+CRSM=176,12258,0,0,10", "\r\n+CRSM: 144,0,\"980001000000000000F0\"\r\n\r\nOK\r\n"},
		{"generic", "AT+CRSM=176,28423,0,0,9", "\r\n+CRSM: 106,130\r\n\r\nOK\r\n"},
		{"generic", "AT+CGSN", "\r\n350000000000000\r\n\r\nOK\r\n"},
		{"generic", "AT+CIMI", "\r\n001010000000000\r\n\r\nOK\r\n"},
		{"generic", "AT+CNUM", "\r\n+CNUM: \"\",\"+15550100000\",145\r\n\r\nOK\r\n"},
		{"generic", "AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
		{"generic", "AT+CESQ", "\r\n+CESQ: 99,99,255,255,20,60\r\n\r\nOK\r\n"},
		{"simcom-sim800", "AT+CESQ", "\r\nERROR\r\n"},
		{"generic", "AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"},
		{"simcom-sim800", "AT+CREG=2;+CREG?", "\r\n+CREG: 2,1,\"00C3\",\"0012ABCD\",0\r\n\r\nOK\r\n"},
		{"simcom-sim800", "AT+CEREG?", "\r\nERROR\r\n"},
		{"huawei-e173", "AT+COPS?", "\r\n+COPS: 0,0,\"SimNet\",2\r\n\r\nOK\r\n"},
		{"generic", "AT+CEREG=2;+CEREG?", "\r\n+CEREG: 2,1,\"00C3\",\"0012ABCD\",7\r\n\r\nOK\r\n"},
		{"generic", "AT+COPS?", "\r\n+COPS: 0,0,\"SimNet\",7\r\n\r\nOK\r\n"},
		{"generic", "AT+COPS=3,2;+COPS?", "\r\n+COPS: 0,2,\"00101\",7\r\n\r\nOK\r\n"},
		{"generic", "AT+CGATT?", "\r\n+CGATT: 1\r\n\r\nOK\r\n"},
		{"huawei-e173", "AT^PORTSEL=1", "\r\nOK\r\n"},
		{"quectel-ec25", "AT^PORTSEL=1", "\r\nERROR\r\n"},
		{"generic", "AT+CSCA?", "\r\n+CSCA: \"+15550000000\",145\r\n\r\nOK\r\n"},
		{"generic", "AT+CPMS?", "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n"},
		{"huawei-e173", "AT+CMEE=1;+CMMS=1", "\r\n+CMS ERROR: 500\r\n"},
		{"quectel-ec25", "AT+CMMS=1", "\r\nOK\r\n"},
		{"simcom-sim800", "AT+CLAC", "\r\nERROR\r\n"}, // CMEE=0: +CME ERROR: 100 shows as ERROR
		{"generic", "AT+NOPE", "\r\nERROR\r\n"},
		{"huawei-e3372", "AT+NOPE", "\r\nCOMMAND NOT SUPPORT\r\n"},
		{"huawei-e3372", "AT^CURC=0", "\r\nCOMMAND NOT SUPPORT\r\n"},
		{"huawei-e173", "AT^CURC=0", "\r\nOK\r\n"},
		{"huawei-e173", "AT+CNMI=2,1,0,1,0", "\r\nERROR\r\n"},
		{"huawei-e173", "AT+CNMI=2,1,0,2,0", "\r\nOK\r\n"},
		{"huawei-e173", "AT+CNMI=1,1,0,1,0", "\r\nOK\r\n"},
		{"generic", "AT+CNMI=2,1,0,1,0", "\r\nOK\r\n"},
		{"generic", "AT+CNMI=4,1,0,1,0", "\r\nERROR\r\n"},
		{"zte-mf", "AT+CFUN?", "\r\n+CFUN: (0-1,4-7),(0-1)\r\n\r\nOK\r\n"},
		{"zte-mf", "AT+CMEE=1;+CNMI=2,1,2,1,0", "\r\n+CMS ERROR: 303\r\n"},
		{"zte-mf", "AT+CSMP=17,167,0,0;+CSCA?", "\r\n+CSCA: \"\",129\r\n\r\nOK\r\n"},
		{"zte-mf", "AT+CCID", "\r\nERROR\r\n"},
		{"zte-mf", "AT+ZPAS?", "\r\n+BEARTYPE: \"UMTS\",\"CS_PS\"\r\n\r\nOK\r\n"},
		{"generic", "ATI", "\r\nSMSGW SIM-GENERIC\r\nRevision: 1.0\r\n\r\nOK\r\n"},
		{"generic", "AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n"},
		{"generic", "0011000B916407281553F80000AA0AE8329BFD4697D9EC37", "\r\nERROR\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.profile+"/"+tc.cmd, func(t *testing.T) {
			n := newNet(t)
			m := addModem(t, n, Options{Profile: tc.profile})
			c := openClient(t, m.Path())
			c.cmd("ATE0")
			c.send(tc.cmd + "\r")
			last := tc.want[strings.LastIndex(strings.TrimSuffix(tc.want, "\r\n"), "\r\n")+2:]
			if got := c.waitFor(last); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorForms(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	c.send("AT+CMGR=99\r")
	if got := c.waitFor("ERROR\r\n"); got != "\r\nERROR\r\n" {
		t.Fatalf("CMEE=0: %q", got)
	}
	c.cmd("AT+CMEE=1")
	c.send("AT+CMGR=99\r")
	if got := c.waitFor("\r\n+CMS ERROR: 321\r\n"); got != "\r\n+CMS ERROR: 321\r\n" {
		t.Fatalf("CMEE=1: %q", got)
	}
	c.cmd("AT+CMEE=2")
	c.send("AT+CMGR=99\r")
	c.waitFor("\r\n+CMS ERROR: invalid memory index\r\n")
	c.send("AT+CPIN=\"1111\"\r")
	c.waitFor("\r\n+CME ERROR: operation not allowed\r\n")
	// A/ repeats the last command line; ATQ1 suppresses result codes.
	c.cmd("AT+CGMI")
	c.send("A/")
	if got := c.waitFor("OK\r\n"); got != "\r\nSMSGW\r\n\r\nOK\r\n" {
		t.Fatalf("A/: %q", got)
	}
	c.send("ATQ1\rAT+CGMM\rATQ0\r")
	if got := c.waitFor("OK\r\n"); got != "\r\nSIM-GENERIC\r\n\r\nOK\r\n" {
		t.Fatalf("Q1: %q", got)
	}
	// Numeric result codes.
	c.cmd("ATV0", "0\r")
	c.send("AT\r")
	if got := c.waitFor("\r"); got != "0\r" {
		t.Fatalf("V0 OK: %q", got)
	}
	c.send("AT+NOPE\r")
	if got := c.waitFor("\r"); got != "4\r" {
		t.Fatalf("V0 ERROR: %q", got)
	}
	c.send("AT+CGMI\r")
	if got := c.waitFor("0\r"); got != "SMSGW\r\n0\r" {
		t.Fatalf("V0 info: %q", got)
	}
}

func TestBannersAndReset(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "simcom-sim800"})
	c := openClient(t, m.Path())
	if got := c.waitFor("SMS Ready\r\n"); got != "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n" {
		t.Fatalf("banner %q", got)
	}
	c.cmd("ATE0")
	c.cmd("AT+CNMI=2,2,0,1,0")
	c.send("AT+CFUN=1,1\r")
	if got := c.waitFor("SMS Ready\r\n"); !strings.HasPrefix(got, "\r\nOK\r\n\r\nRDY\r\n") {
		t.Fatalf("reset %q", got)
	}
	// Echo is back on and CNMI is at its default after the reset.
	if got := c.cmd("AT+CNMI?"); got != "AT+CNMI?\r\r\n+CNMI: 2,1,0,0,0\r\n\r\nOK\r\n" {
		t.Fatalf("after reset %q", got)
	}

	// Huawei forgets CNMI entirely (default 0,0,0,0,0) and prints ^ status.
	h := addModem(t, n, Options{Profile: "huawei-e173"})
	ch := openClient(t, h.Path())
	ch.waitFor("^RSSI:20\r\n")
	ch.cmd("ATE0;+CNMI=2,1,0,2,0")
	ch.send("AT+CFUN=1,1\r")
	ch.waitFor("^RSSI:20\r\n")
	if got := ch.cmd("AT+CNMI?"); !strings.Contains(got, "+CNMI: 0,0,0,0,0") {
		t.Fatalf("huawei after reset %q", got)
	}
	// ATZ restores echo and the defaults without a reboot.
	ch.cmd("ATE0")
	if got := ch.cmd("ATZ"); got != "ATZ\r\r\nOK\r\n" && got != "\r\nOK\r\n" {
		t.Fatalf("ATZ %q", got)
	}
	if got := ch.cmd("AT"); got != "AT\r\r\nOK\r\n" {
		t.Fatalf("echo after ATZ %q", got)
	}
}

func TestHuaweiRSSIInsideCMGR(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "huawei-e173"})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	if err := n.Deliver(m.Number(), "+4915112345678", "inside"); err != nil {
		t.Fatal(err)
	}
	// CNMI 0,0,0,0,0 (Huawei default): stored without indication, at index 0.
	got := c.cmd("AT+CMGR=0")
	if !strings.HasPrefix(got, "\r\n^RSSI:20\r\n+CMGR: 0,,") {
		t.Fatalf("CMGR %q", got)
	}
	if d := pduAfter(t, got, "+CMGR:"); textOf(t, d) != "inside" {
		t.Fatalf("text %q", textOf(t, d))
	}
	got = c.cmd("AT+CMGL=4")
	if !strings.HasPrefix(got, "\r\n^RSSI:20\r\n+CMGL: 0,1,,") {
		t.Fatalf("CMGL %q", got)
	}
	c.cmd("AT^CURC=0")
	if got := c.cmd("AT+CMGR=0"); !strings.HasPrefix(got, "\r\n+CMGR: 1,,") {
		t.Fatalf("after CURC=0 %q", got)
	}
	// Empty slot: Huawei answers +CMS ERROR: 500.
	c.cmd("AT+CMEE=1;+CMGD=0")
	c.send("AT+CMGR=0\r")
	c.waitFor("\r\n+CMS ERROR: 500\r\n")
}

func TestUSSD(t *testing.T) {
	for _, tc := range []struct{ profile, want string }{
		{"generic", `+CUSD: 0,"Balance: 12.34 EUR",15`},
		{"huawei-e173", `+CUSD: 0,"` + hexUpper(pack7("Balance: 12.34 EUR")) + `",15`},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			n := newNet(t)
			m := addModem(t, n, Options{Profile: tc.profile})
			c := openClient(t, m.Path())
			c.cmd("ATE0")
			c.send("AT+CUSD=1,\"*100#\",15\r")
			if got := c.waitFor(tc.want + "\r\n"); got != "\r\nOK\r\n\r\n"+tc.want+"\r\n" {
				t.Fatalf("got %q", got)
			}
		})
	}
	// The packed form decodes back to the text.
	b := pack7("Balance: 12.34 EUR")
	s, err := pdu.Unpack7(b, len("Balance: 12.34 EUR"))
	if err != nil || pdu.DecodeGSM7(s) != "Balance: 12.34 EUR" {
		t.Fatalf("pack7 round trip %q %v", pdu.DecodeGSM7(s), err)
	}
}

func TestUCS2Charset(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd(`ATE0;+CSCS="UCS2"`)
	want := hexUpper(pdu.EncodeUCS2("+15550000000"))
	if got := c.cmd("AT+CSCA?"); got != "\r\n+CSCA: \""+want+"\",145\r\n\r\nOK\r\n" {
		t.Fatalf("CSCA in UCS2 %q", got)
	}
	c.cmd(`AT+CSCA="` + hexUpper(pdu.EncodeUCS2("+4917")) + `",145;+CSCS="GSM"`)
	if got := c.cmd("AT+CSCA?"); got != "\r\n+CSCA: \"+4917\",145\r\n\r\nOK\r\n" {
		t.Fatalf("CSCA set in UCS2 %q", got)
	}
}

func TestCDSIStorage(t *testing.T) {
	for _, tc := range []struct{ profile, want string }{
		{"generic", `+CDSI: "SR",1`},
		{"quectel-ec25", `+CDSI: "SM",1`},  // the EC25 names SM but stores in SR
		{"simcom-sim800", `+CDSI: "SM",1`}, // no SR memory: stored on the SIM
	} {
		t.Run(tc.profile, func(t *testing.T) {
			n := newNet(t)
			m := addModem(t, n, Options{Profile: tc.profile})
			c := openClient(t, m.Path())
			c.cmd("ATE0;+CNMI=2,1,0,2,0")
			sendSMS(t, c, m.Profile().Prompt, "+4915112345678", "report me", true)
			c.waitFor(tc.want + "\r\n")
			msgs := m.Messages()
			if len(msgs) != 1 {
				t.Fatalf("stored %+v", msgs)
			}
			sr, err := pdu.Decode(msgs[0].PDU)
			if err != nil || sr.Type() != pdu.TypeStatusReport {
				t.Fatalf("stored %T %v", sr, err)
			}
			if tc.profile == "quectel-ec25" {
				if msgs[0].Mem != "SR" {
					t.Fatalf("EC25 stored in %s", msgs[0].Mem)
				}
				// Reading the announced index on SM finds nothing: bare OK.
				if got := c.cmd("AT+CMGR=1"); got != "\r\nOK\r\n" {
					t.Fatalf("EC25 CMGR on SM %q", got)
				}
			}
		})
	}
}

// TestTweakedDialects covers the +CMGR/+CMGL variants real devices print,
// through Options.Tweak.
func TestTweakedDialects(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Tweak: func(p *Profile) {
		p.CMGRAlpha = "-"
		p.LowercaseHex = true
		p.EmptyRead = "0,,0"
		p.DuplicateCMTI = true
		p.LineEnd = "\r\r\n"
		p.CNMIDs[1] = 2 // must not leak into the built-in profile
	}})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CNMI=2,1,0,0,0")
	if err := n.Deliver(m.Number(), "+491700000001", "dialect"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("\r\n+CMTI: \"SM\",1\r\n\r\n+CMTI: \"SM\",1\r\n")
	got := c.cmd("AT+CMGR=1")
	if !strings.HasPrefix(got, "\r\n+CMGR: 0,") || strings.Contains(got, ",,") || !strings.Contains(got, "\r\r\n") {
		t.Fatalf("CMGR %q", got)
	}
	lines := strings.Split(got, "\r\r\n")
	if lines[1] != strings.ToLower(lines[1]) {
		t.Fatalf("hex not lower case: %q", lines[1])
	}
	if got := c.cmd("AT+CMGR=2"); got != "\r\n+CMGR: 0,,0\r\r\n\r\nOK\r\n" {
		t.Fatalf("empty %q", got)
	}
	if p, _ := LookupProfile("generic"); p.CNMIDs[1] != 1 || p.CMGRAlpha != "" {
		t.Fatalf("built-in profile changed: %+v", p)
	}
}
