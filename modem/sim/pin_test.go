package sim

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPINAndPUK(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "quectel-ec25", PIN: "1234"})
	c := openClient(t, m.Path())
	if got := c.waitFor("+CPIN: SIM PIN\r\n"); !strings.HasPrefix(got, "\r\nRDY\r\n") {
		t.Fatalf("boot %q", got)
	}
	c.cmd("ATE0;+CMEE=1")
	if got := c.cmd("AT+CPIN?"); got != "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n" {
		t.Fatalf("CPIN? %q", got)
	}
	steps := []struct{ cmd, want string }{
		{"AT+CMGL=4", "\r\n+CMS ERROR: 311\r\n"},
		{"AT+CIMI", "\r\n+CME ERROR: 11\r\n"},
		{`AT+CPIN="0000"`, "\r\n+CME ERROR: 16\r\n"},
		{`AT+CPIN="0000"`, "\r\n+CME ERROR: 16\r\n"},
		{"AT+CPINR", "\r\n+CPINR: SIM PIN,1,3\r\n+CPINR: SIM PUK,10,10\r\n\r\nOK\r\n"},
		{`AT+CPIN="0000"`, "\r\n+CME ERROR: 16\r\n\r\n+CPIN: SIM PUK\r\n"},
		{"AT+CPIN?", "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n"},
		{`AT+CPIN="1234"`, "\r\n+CME ERROR: 16\r\n"}, // a PIN is no PUK: one PUK try gone
		{"AT+CIMI", "\r\n+CME ERROR: 12\r\n"},
		{`AT+CPIN="12345678","4321"`, "\r\nOK\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n"},
		{"AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"},
		{"AT+CPMS?", "\r\n+CPMS: \"SM\",0,50,\"SM\",0,50,\"SM\",0,50\r\n\r\nOK\r\n"},
	}
	for _, s := range steps {
		c.send(s.cmd + "\r")
		last := s.want[strings.LastIndex(strings.TrimSuffix(s.want, "\r\n"), "\r\n")+2:]
		if got := c.waitFor(last); got != s.want {
			t.Fatalf("%s: got %q, want %q", s.cmd, got, s.want)
		}
	}
	// The new PIN holds across a replug, with a fresh power-up.
	if err := m.Unplug(); err != nil {
		t.Fatal(err)
	}
	if err := m.Replug(); err != nil {
		t.Fatal(err)
	}
	c2 := openClient(t, m.Path())
	c2.waitFor("+CPIN: SIM PIN\r\n")
	c2.send("AT+CPIN=\"4321\"\r")
	c2.waitFor("AT+CPIN=\"4321\"\r\r\nOK\r\n\r\n+CPIN: READY\r\n")
}

func TestNotReadyWindow(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "simcom-sim800", PIN: "1111", ReadyDelay: 50 * time.Second})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	c.send("AT+CPIN=\"1111\"\r")
	c.waitFor("SMS Ready\r\n")
	// SMS commands before the SMS service is up: +CMS ERROR: 302.
	c.send("AT+CPMS?\r")
	c.waitFor("\r\n+CMS ERROR: 302\r\n")
}

func TestBootDelay(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "quectel-ec25", BootDelay: 5 * time.Millisecond})
	c := openClient(t, m.Path())
	// Right after power-up the SMS service is not ready yet.
	c.send("ATE0\rAT+CMEE=1;+CPMS?\r")
	got := c.waitFor("+QIND: PB DONE\r\n")
	if !strings.Contains(got, "+CMS ERROR: 302") {
		t.Skipf("the host was too slow to ask before the boot finished: %q", got)
	}
	for i, b := range []string{"RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"} {
		if !strings.Contains(got, "\r\n"+b+"\r\n") {
			t.Fatalf("banner %d %q missing in %q", i, b, got)
		}
	}
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, "+CPMS: \"SM\",0,50") {
		t.Fatalf("after boot %q", got)
	}
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPINNeverLogged(t *testing.T) {
	var logs syncBuf
	n := NewNetwork(NetworkOptions{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	t.Cleanup(func() { n.Close(context.Background()) })
	m := addModem(t, n, Options{PIN: "9731"})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	c.cmd(`AT+CPIN="9731"`)
	c.send(`AT+CMEE=1;+CPIN="87654321","9731"` + "\r")
	c.waitFor("+CME ERROR: 3\r\n")
	if s := logs.String(); strings.Contains(s, "9731") || strings.Contains(s, "87654321") || !strings.Contains(s, "CPIN=<redacted>") {
		t.Fatalf("log: %s", s)
	}
}

func TestPUKBlocks(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "simcom-sim800", PIN: "1234"})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	for i := 0; i < 3; i++ {
		c.send(`AT+CPIN="0000"` + "\r")
		c.waitFor("+CME ERROR: 16\r\n")
	}
	for i := 0; i < 10; i++ {
		c.send(`AT+CPIN="00000000","1111"` + "\r")
		c.waitFor("+CME ERROR: 16\r\n")
	}
	c.send("AT+CPIN?\r")
	c.waitFor("\r\n+CME ERROR: 13\r\n")
	if err := m.Reboot(); err != nil {
		t.Fatal(err)
	}
	c.waitFor("\r\n+CPIN: NOT READY\r\n")
}
