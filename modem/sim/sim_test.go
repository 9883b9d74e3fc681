package sim

import (
	"strings"
	"testing"
)

func TestEchoAndBasics(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "generic"})
	c := openClient(t, m.Path())
	got := c.cmd("AT")
	if got != "AT\r\r\nOK\r\n" {
		t.Fatalf("AT with echo: got %q", got)
	}
	if got := c.cmd("ATE0"); got != "ATE0\r\r\nOK\r\n" {
		t.Fatalf("ATE0: got %q", got)
	}
	if got := c.cmd("AT+CGMI"); got != "\r\nSMSGW\r\n\r\nOK\r\n" {
		t.Fatalf("CGMI: got %q", got)
	}
	if got := c.cmd("AT+FOO", "ERROR\r\n"); got != "\r\nERROR\r\n" {
		t.Fatalf("unknown: got %q", got)
	}
	if got := c.cmd("AT+CMEE=1;+CPMS?"); !strings.Contains(got, `+CPMS: "SM",0,30,"SM",0,30,"SM",0,30`) {
		t.Fatalf("CPMS?: got %q", got)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`AT+CPIN="1234"`:        `AT+CPIN=<redacted>`,
		`at+cpin="1234"`:        `at+cpin=<redacted>`,
		`AT+CPIN?`:              `AT+CPIN?`,
		"\x830+CPIN=0":          "\x830+CPIN=<redacted>",
		"\xff\xfe+cPiN=\"1\",2": "\xff\xfe+cPiN=<redacted>",
		"AT+CPIN":               "AT+CPIN",
		"":                      "",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
