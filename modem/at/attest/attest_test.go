package attest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readN reads n bytes from the fake.
func readN(t *testing.T, m *Modem, n int) string {
	t.Helper()
	buf := make([]byte, n)
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(m, buf); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("fewer than %d bytes", n)
	}
	return string(buf)
}

func TestScript(t *testing.T) {
	m := New()
	m.On("AT+CSQ", "A")
	m.Once("AT+CSQ", "B").Once("AT+CSQ", "C")
	m.On("AT+CMGS=*", "\r\n> ")
	m.On("00AA", "D")
	m.On("<ESC>", "E")
	m.Handle(func(cmd string) (string, bool) { return "H", cmd == "AT+H" })
	m.Write([]byte("AT+CSQ\rat+csq\rAT+CSQ\r"))
	if got := readN(t, m, 3); got != "BCA" {
		t.Errorf("Once before On, in order: %q", got)
	}
	m.Write([]byte("AT+CMGS=5\r00"))
	m.Write([]byte("AA\x1a"))
	if got := readN(t, m, 5); got != "\r\n> D" {
		t.Errorf("payload: %q", got)
	}
	m.Write([]byte("AT+CMGS=5\r00BB\x1b"))
	if got := readN(t, m, 5); got != "\r\n> E" {
		t.Errorf("ESC: %q", got)
	}
	m.Write([]byte("AT+H\rAT+NOPE\r"))
	if got := readN(t, m, 10); got != "H\r\nERROR\r\n" {
		t.Errorf("handler and unmatched: %q", got)
	}
	want := []string{"AT+CSQ", "at+csq", "AT+CSQ", "AT+CMGS=5", "00AA", "AT+CMGS=5", "<ESC>", "AT+H", "AT+NOPE"}
	if diff := cmp.Diff(want, m.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AT+NOPE"}, m.Unexpected()); diff != "" {
		t.Errorf("unexpected (-want +got):\n%s", diff)
	}
}

func TestEchoChunkHangUnplug(t *testing.T) {
	m := New()
	m.SetEcho(true)
	m.On("ATE0", "\r\nOK\r\n")
	m.On("AT", "\r\nOK\r\n")
	m.Write([]byte("ATE0\r"))
	if got := readN(t, m, 11); got != "ATE0\r\r\nOK\r\n" {
		t.Errorf("echo of ATE0 itself: %q", got)
	}
	m.SetChunk(2)
	m.Write([]byte("AT\r"))
	b := make([]byte, 10)
	if n, _ := m.Read(b); n != 2 {
		t.Errorf("chunk: read %d", n)
	}
	readN(t, m, 4)
	m.SetHang(true)
	m.Write([]byte("AT\r"))
	if m.WaitCommands(5, 50*time.Millisecond) || len(m.Commands()) != 3 {
		t.Errorf("commands %q", m.Commands())
	}
	m.Inject("X")
	if got := readN(t, m, 1); got != "X" {
		t.Errorf("hang swallowed the injection: %q", got)
	}
	m.Unplug()
	if _, err := m.Read(b); !errors.Is(err, ErrUnplugged) {
		t.Errorf("read after unplug: %v", err)
	}
	if _, err := m.Write([]byte("AT\r")); !errors.Is(err, ErrUnplugged) {
		t.Errorf("write after unplug: %v", err)
	}
	m.Close()
	if _, err := m.Read(b); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
}
