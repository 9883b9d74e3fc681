package sim

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"

	"smsgw/modem/pdu"
)

// client is a test-side port opened with go.bug.st/serial, with a reader
// goroutine collecting everything the modem writes.
type client struct {
	t    testing.TB
	port serial.Port

	mu   sync.Mutex
	buf  bytes.Buffer
	err  error
	kick chan struct{}
	done chan struct{}
}

func openClient(t testing.TB, path string) *client {
	t.Helper()
	p, err := serial.Open(path, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	c := &client{t: t, port: p, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *client) read() {
	defer close(c.done)
	b := make([]byte, 1024)
	for {
		n, err := c.port.Read(b)
		c.mu.Lock()
		c.buf.Write(b[:n])
		if err != nil {
			c.err = err
		}
		c.mu.Unlock()
		select {
		case c.kick <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (c *client) close() {
	c.port.Close()
	<-c.done
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.port.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// waitFor waits until the collected output contains want and returns the
// output up to and including it, consuming it.
func (c *client) waitFor(want string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c.mu.Lock()
		s := c.buf.String()
		if i := strings.Index(s, want); i >= 0 {
			c.buf.Next(i + len(want))
			c.mu.Unlock()
			return s[:i+len(want)]
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			c.t.Fatalf("waiting for %q: port error %v; have %q", want, err, s)
		}
		select {
		case <-c.kick:
		case <-ctx.Done():
			c.t.Fatalf("timeout waiting for %q; have %q", want, s)
		}
	}
}

// waitErr waits until the reader fails and returns the error.
func (c *client) waitErr() error {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Fatal("port did not fail")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// cmd sends an AT command and returns everything up to its final result
// ("OK\r\n", "ERROR\r\n" or the given terminator).
func (c *client) cmd(line string, final ...string) string {
	c.t.Helper()
	c.send(line + "\r")
	end := "OK\r\n"
	if len(final) > 0 {
		end = final[0]
	}
	return c.waitFor(end)
}

// drain discards what has been received so far.
func (c *client) drain() {
	c.mu.Lock()
	c.buf.Reset()
	c.mu.Unlock()
}

func newNet(t *testing.T) *Network {
	t.Helper()
	n := NewNetwork(NetworkOptions{})
	t.Cleanup(func() {
		if err := n.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return n
}

func addModem(t *testing.T, n *Network, o Options) *Modem {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	m, err := n.AddModem(context.Background(), o)
	if err != nil {
		t.Fatalf("AddModem: %v", err)
	}
	return m
}

// submitPDU builds "00"+SMS-SUBMIT for a one-part text; srr asks for a
// status report.
func submitPDU(t testing.TB, to, text string, srr bool) (hexPDU string, tpduLen int) {
	t.Helper()
	parts, err := pdu.EncodeSubmit(to, text, pdu.SubmitOptions{StatusReport: srr})
	if err != nil || len(parts) != 1 {
		t.Fatalf("EncodeSubmit: %d parts, %v", len(parts), err)
	}
	return parts[0].Hex, parts[0].TPDULen
}

// pduAfter returns the decoded PDU on the line after the first line that
// starts with prefix in out.
func pduAfter(t *testing.T, out, prefix string) pdu.Message {
	t.Helper()
	lines := strings.Split(out, "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) && i+1 < len(lines) {
			m, err := pdu.DecodeHex(lines[i+1])
			if err != nil {
				t.Fatalf("decode %q: %v", lines[i+1], err)
			}
			return m
		}
	}
	t.Fatalf("no %q line in %q", prefix, out)
	return nil
}

func textOf(t *testing.T, m pdu.Message) string {
	t.Helper()
	var c pdu.Content
	var err error
	switch v := m.(type) {
	case *pdu.Deliver:
		c, err = v.Content()
	case *pdu.Submit:
		c, err = v.Content()
	default:
		t.Fatalf("no text in %T", m)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.Text
}
