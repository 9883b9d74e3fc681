package sim

import (
	"testing"
)

// FuzzInterpreter feeds arbitrary bytes through the line discipline and
// command interpreter of every profile (no pty: output is discarded) and
// checks that nothing panics and the modem keeps answering.
func FuzzInterpreter(f *testing.F) {
	for _, s := range []string{
		"AT\r", "ATE0V0Q1\r", "AT+CMGS=24\r0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a",
		"AT+CMGS=5\r00\x1b", "AT+CPIN=\"0000\"\rAT+CPIN=\"1\",\"2\"\r", "AT+CNMI=2,2,0,1,0;+CSMS=1\rAT+CNMA\r",
		"AT+CPMS=\"SR\",\"ME\",\"SM\"\rAT+CMGL=4\rAT+CMGR=0\rAT+CMGD=1,4\r", "AT+CFUN=1,1\rA/",
		"AT+CMGW=3,1\r000000\x1a", "AT+CSCS=\"UCS2\";+CSCA=\"00\"\r", "AT+CUSD=1,\"*100#\",15\r",
		"AT^CURC=0;+CREG=2;+CEREG?;+COPS?;+CESQ;+CLAC\r", "ATS0=1S7?&F&W\r", "\x00\xff\r\n\b\b\r",
		"AT+CMGF=1;+CSMP=49,167,0,8\rAT+CMGS=\"+15550100000\"\rhi\rthere\x1aAT+CMGL=\"ALL\"\r",
	} {
		f.Add([]byte(s), uint8(0))
	}
	names := Profiles()
	f.Fuzz(func(t *testing.T, data []byte, p uint8) {
		n := NewNetwork(NetworkOptions{})
		prof, _ := LookupProfile(names[int(p)%len(names)])
		m := newModem(n, Options{Dir: "unused", Name: "fuzz", Number: "+15550100000", PIN: "1234"}, prof, 0)
		n.byNumber[m.opts.Number] = m
		m.powerUp()
		m.input(data)
		// Run what the command line scheduled (URCs, resets, deliveries
		// to itself), a bounded number of rounds.
		for i := 0; i < 8; i++ {
			m.mu.Lock()
			box := m.mailbox
			m.mailbox = nil
			m.mu.Unlock()
			for _, f := range box {
				f()
			}
		}
		m.st.busy, m.st.prompt, m.hung = false, nil, false
		m.input([]byte("\x1bAT\r"))
	})
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"AT", "AT+CMGS=12", `AT+CPIN="1;2";+CMEE=1`, "ATE0V1&FS0=0", "ATD*99#", "at+cmgl=4;^curc?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds, ok := parseLine(s)
		if !ok && len(cmds) != 0 {
			t.Fatalf("not AT but %d commands", len(cmds))
		}
		for _, c := range cmds {
			if c.name == "" {
				t.Fatalf("empty command name in %q", s)
			}
		}
	})
}
