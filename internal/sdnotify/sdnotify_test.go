package sdnotify

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	p := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", p)
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifications(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "2000000")
	t.Setenv("WATCHDOG_PID", "")
	n := New(nil)
	if got := n.WatchdogInterval(); got != time.Second {
		t.Errorf("WatchdogInterval = %v", got)
	}
	n.Ready("2/2 modems ready, queue 0")
	if got := recv(t, c); got != "READY=1\nSTATUS=2/2 modems ready, queue 0" {
		t.Errorf("ready: %q", got)
	}
	n.Status("%d/%d modems ready\nqueue %d", 1, 2, 5)
	if got := recv(t, c); got != "STATUS=1/2 modems ready queue 5" {
		t.Errorf("status: %q", got)
	}
	n.Watchdog()
	if got := recv(t, c); got != "WATCHDOG=1" {
		t.Errorf("watchdog: %q", got)
	}
	n.Stopping("stopping")
	if got := recv(t, c); got != "STOPPING=1\nSTATUS=stopping" {
		t.Errorf("stopping: %q", got)
	}
}

func TestNoWatchdogNoPing(t *testing.T) {
	c := listen(t)
	t.Setenv("WATCHDOG_USEC", "")
	n := New(nil)
	if n.WatchdogInterval() != 0 {
		t.Fatal("watchdog enabled without WATCHDOG_USEC")
	}
	n.Watchdog()
	n.Status("marker")
	if got := recv(t, c); got != "STATUS=marker" {
		t.Errorf("got %q; a watchdog ping was sent without a watchdog", got)
	}
}

func TestSilentOutsideSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := New(nil)
	n.Ready("x")
	n.Status("y")
	n.Stopping("z") // must not panic or block
}
