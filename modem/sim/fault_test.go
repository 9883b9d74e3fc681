package sim

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"smsgw/modem/pdu"
)

func TestHang(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	seen := make(chan string, 16)
	_ = m.call(func() { m.onInput = func(b []byte) { seen <- string(b) } })
	m.Hang(true)
	c.send("AT+CGMI\r")
	var in string
	for !strings.Contains(in, "\r") {
		select {
		case s := <-seen:
			in += s
		case <-time.After(10 * time.Second):
			t.Fatal("input never reached the modem")
		}
	}
	m.Hang(false)
	// The command sent while hung was swallowed: the next answer is the
	// next command's.
	if got := c.cmd("AT+CGMM"); got != "\r\nSIM-GENERIC\r\n\r\nOK\r\n" {
		t.Fatalf("after hang %q", got)
	}
	m.HangFor(time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var hung bool
		_ = m.call(func() { hung = m.hung })
		if !hung {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("HangFor did not end")
		}
		time.Sleep(time.Millisecond)
	}
	c.cmd("AT")
}

func TestUnplugReplug(t *testing.T) {
	n := newNet(t)
	a := addModem(t, n, Options{})
	m := addModem(t, n, Options{Profile: "simcom-sim800"})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CNMI=2,1,0,0,0")
	if err := n.Deliver(m.Number(), "+491700000001", "before"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("+CMTI: \"SM\",1\r\n")
	oldPTY := m.PTY()
	if err := m.Unplug(); err != nil {
		t.Fatal(err)
	}
	if err := c.waitErr(); err == nil {
		t.Fatal("no error on the unplugged port")
	}
	if _, err := c.port.Write([]byte("AT\r")); err == nil {
		t.Fatal("write to an unplugged port succeeded")
	}
	if _, err := os.Lstat(m.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("symlink still there: %v", err)
	}
	if m.PTY() != "" {
		t.Fatalf("PTY %q while unplugged", m.PTY())
	}
	if err := m.Unplug(); err == nil {
		t.Fatal("second unplug succeeded")
	}
	// Sent while unplugged: the network holds it.
	ca := openClient(t, a.Path())
	ca.cmd("ATE0")
	sendSMS(t, ca, "\r\n> ", m.Number(), "while away", false)

	if err := m.Replug(); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(m.Path()); err != nil || target != m.PTY() {
		t.Fatalf("symlink %q %v, PTY %q (was %q)", target, err, m.PTY(), oldPTY)
	}
	c2 := openClient(t, m.Path())
	got := c2.waitFor("SMS Ready\r\n")
	if !strings.HasPrefix(got, "\r\nRDY\r\n") {
		t.Fatalf("fresh boot %q", got)
	}
	// Echo is on again (fresh power-up), the SIM kept its message and the
	// held one arrived (SIM800 default CNMI 2,1: +CMTI).
	c2.waitFor("+CMTI: \"SM\",2\r\n")
	if got := c2.cmd("AT+CPMS?"); !strings.HasPrefix(got, "AT+CPMS?\r\r\n+CPMS: \"SM\",2,30") {
		t.Fatalf("after replug %q", got)
	}
	if err := m.Replug(); err == nil {
		t.Fatal("second replug succeeded")
	}
}

func TestFailSubmitsAndDelay(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1")
	m.FailSubmits(2, 38)
	for i := 0; i < 2; i++ {
		hx, l := submitPDU(t, "+4915112345678", "x", false)
		c.send("AT+CMGS=" + strconv.Itoa(l) + "\r")
		c.waitFor("> ")
		c.send(hx + "\x1a")
		c.waitFor("\r\n+CMS ERROR: 38\r\n")
	}
	m.SetSubmitDelay(20 * time.Millisecond)
	start := time.Now()
	if got := sendSMS(t, c, "\r\n> ", "+4915112345678", "ok now", false); !strings.Contains(got, "+CMGS: 0\r\n") {
		t.Fatalf("after failures %q", got)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("submit delay not applied")
	}
	if len(n.Outbox()) != 1 {
		t.Fatalf("outbox %d", len(n.Outbox()))
	}
}

func TestRegistrationLost(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1;+CREG=1;+CNMI=2,1,0,0,0")
	m.SetRegistration(0)
	c.waitFor("\r\n+CREG: 0\r\n")
	if got := c.cmd("AT+COPS?"); got != "\r\n+COPS: 0\r\n\r\nOK\r\n" {
		t.Fatalf("COPS %q", got)
	}
	if got := c.cmd("AT+CSQ"); !strings.Contains(got, "+CSQ: 99,99") {
		t.Fatalf("CSQ %q", got)
	}
	hx, l := submitPDU(t, "+4915112345678", "x", false)
	c.send("AT+CMGS=" + strconv.Itoa(l) + "\r")
	c.waitFor("> ")
	c.send(hx + "\x1a")
	c.waitFor("\r\n+CMS ERROR: 331\r\n")
	if err := n.Deliver(m.Number(), "+491700000001", "held"); err != nil {
		t.Fatal(err)
	}
	m.SetRegistration(5)
	got := c.waitFor("+CMTI: \"SM\",1\r\n")
	if !strings.Contains(got, "+CREG: 5\r\n") {
		t.Fatalf("roaming %q", got)
	}
}

func TestStatusReportsDropped(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CNMI=2,1,0,1,0")
	n.DropStatusReports(true)
	sendSMS(t, c, "\r\n> ", "+4915112345678", "lost report", true)
	n.DropStatusReports(false)
	sendSMS(t, c, "\r\n> ", "+4915112345678", "kept report", true)
	rep := c.waitFor("+CDS: ")
	rep += c.waitFor("\r\n")
	rep += c.waitFor("\r\n")
	sr := pduAfter(t, "+CDS: "+strings.SplitN(rep, "+CDS: ", 2)[1], "+CDS:").(*pdu.StatusReport)
	if sr.MR != 1 || !sr.Status.Delivered() {
		t.Fatalf("first report is for MR %d (%v), want 1 delivered (MR 0 lost)", sr.MR, sr.Status)
	}
	n.SetReportStatus(pdu.StatusExpired)
	sendSMS(t, c, "\r\n> ", "+4915112345678", "expires", true)
	rep = c.waitFor("+CDS: ")
	rep += c.waitFor("\r\n")
	rep += c.waitFor("\r\n")
	sr = pduAfter(t, "+CDS: "+strings.SplitN(rep, "+CDS: ", 2)[1], "+CDS:").(*pdu.StatusReport)
	if sr.MR != 2 || sr.Status != pdu.StatusExpired || !sr.Status.Failed() {
		t.Fatalf("expired report %+v", sr)
	}
}

func TestNoiseAndGarbage(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "huawei-e3372"})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	m.InjectGarbage([]byte("\x00\xffjunk\r\n"))
	c.waitFor("\x00\xffjunk\r\n")
	m.ResponseNoise(true)
	got := c.cmd("AT+CGMI")
	if !strings.HasPrefix(got, "\r\n^") || !strings.HasSuffix(got, "\r\n\r\nhuawei\r\n\r\nOK\r\n") {
		t.Fatalf("noisy response %q", got)
	}
	hx, l := submitPDU(t, "+4915112345678", "noise", false)
	c.send("AT+CMGS=" + strconv.Itoa(l) + "\r")
	if got := c.waitFor("\r\n> "); !strings.HasPrefix(got, "\r\n^") {
		t.Fatalf("noise before prompt %q", got)
	}
	c.send(hx + "\x1a")
	if got := c.waitFor("OK\r\n"); !strings.Contains(got, "\r\n^") || !strings.Contains(got, "+CMGS: 0") {
		t.Fatalf("noise before +CMGS %q", got)
	}
	m.ResponseNoise(false)
	m.StartNoise(time.Millisecond)
	c.waitFor("\r\n^")
	m.StopNoise()
}

// TestCloseStopsEverything checks that Close leaves no goroutine behind.
func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	n := NewNetwork(NetworkOptions{})
	dir := t.TempDir()
	var ms []*Modem
	for _, p := range []string{"generic", "huawei-e173", "quectel-ec25"} {
		m := addModem(t, n, Options{Dir: dir, Profile: p})
		ms = append(ms, m)
	}
	ms[1].StartNoise(time.Millisecond)
	c := openClient(t, ms[0].Path())
	c.cmd("AT")
	if err := ms[2].Unplug(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal("second close:", err)
	}
	c.waitErr()
	c.close()
	if _, err := n.AddModem(t.Context(), Options{Dir: dir}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddModem after Close: %v", err)
	}
	if err := n.Deliver(ms[0].Number(), "+1", "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Deliver after Close: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left in dir: %v", entries)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFragmentedOutput(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "simcom-sim7600"})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	m.FragmentOutput(true)
	if got := c.cmd("AT+CGMI"); got != "\r\nSIMCOM INCORPORATED\r\n\r\nOK\r\n" {
		t.Fatalf("fragmented %q", got)
	}
	if got := sendSMS(t, c, "\r\n>\r\n", "+4915112345678", "split", false); !strings.HasSuffix(got, "+CMGS: 0\r\n\r\nOK\r\n") {
		t.Fatalf("send %q", got)
	}
}

// TestExclusiveClearedOnClose: a client that dies with TIOCEXCL set (as
// go.bug.st/serial sets it) must not leave the port busy, as a real serial
// port is not: the kernel frees the tty, and with it the flag, on the last
// close.
func TestExclusiveClearedOnClose(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	fd, err := unix.Open(m.Path(), unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCEXCL, 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd) // no TIOCNXCL: as if the process was killed
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Root opens an exclusive tty anyway and asks; others get EBUSY
		// until the flag is gone.
		excl := 1
		probe, err := unix.Open(m.Path(), unix.O_RDWR|unix.O_NOCTTY, 0)
		switch {
		case errors.Is(err, unix.EBUSY):
		case err != nil:
			t.Fatal(err)
		default:
			excl, err = unix.IoctlGetInt(probe, unix.TIOCGEXCL)
			unix.Close(probe)
			if err != nil {
				t.Skipf("TIOCGEXCL: %v", err)
			}
		}
		if excl == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("port still exclusive after the client closed it")
		}
		time.Sleep(time.Millisecond)
	}
	c := openClient(t, m.Path())
	c.cmd("AT")
}

func TestRadioOffRebootAndSignal(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "quectel-ec25"})
	if got := n.Modems(); len(got) != 1 || got[0] != m || !strings.Contains(m.String(), "quectel-ec25") {
		t.Fatalf("Modems %v", got)
	}
	c := openClient(t, m.Path())
	c.cmd("ATE0;+CMEE=1;+CREG=2;+CNMI=2,1,0,0,0")
	c.send("AT+CFUN=4\r")
	if got := c.waitFor("+CREG: 0\r\n"); got != "\r\nOK\r\n\r\n+CREG: 0\r\n" {
		t.Fatalf("radio off %q", got)
	}
	if err := n.Deliver(m.Number(), "+491700000001", "after radio on"); err != nil {
		t.Fatal(err)
	}
	c.send("AT+CUSD=1,\"*100#\",15\r")
	c.waitFor("+CME ERROR: 30\r\n")
	c.send("AT+CFUN=1\r")
	got := c.waitFor("+CMTI: \"SM\",1\r\n")
	if !strings.Contains(got, "+CREG: 1,\"00C3\",\"0012ABCD\",7") {
		t.Fatalf("radio on %q", got)
	}
	m.SetRSSI(7)
	if got := c.cmd("AT+CSQ"); got != "\r\n+CSQ: 7,99\r\n\r\nOK\r\n" {
		t.Fatalf("CSQ %q", got)
	}
	if err := m.Reboot(); err != nil {
		t.Fatal(err)
	}
	c.waitFor("+QIND: PB DONE\r\n")
	if got := c.cmd("AT"); got != "AT\r\r\nOK\r\n" {
		t.Fatalf("echo after reboot %q", got)
	}
	// Delete flags: 1 read, 4 all.
	c.cmd("ATE0")
	c.cmd("AT+CMGR=1")
	if err := n.Deliver(m.Number(), "+491700000001", "unread"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("+CMTI: \"SM\",2\r\n")
	c.cmd("AT+CMGD=1,1")
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",1,50`) {
		t.Fatalf("after CMGD=1,1 %q", got)
	}
	c.cmd("AT+CMGD=1,4")
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",0,50`) {
		t.Fatalf("after CMGD=1,4 %q", got)
	}
}

// HangOnSubmit stalls the modem at the next AT+CMGS, before its prompt:
// the message never reaches the network, and the modem answers again
// after the stall.
func TestHangOnSubmit(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	c.cmd("AT+CMGF=0")
	m.HangOnSubmit(0) // until Hang(false)
	c.cmd("AT")       // armed, not yet fired
	hexPDU, n8 := submitPDU(t, "+4915112345678", "stalled", false)
	c.send("AT+CMGS=" + strconv.Itoa(n8) + "\r")
	deadline := time.Now().Add(10 * time.Second)
	for !m.Hung() {
		if time.Now().After(deadline) {
			t.Fatal("AT+CMGS did not stall the modem")
		}
		time.Sleep(time.Millisecond)
	}
	m.Hang(false)
	c.drain()
	if got := c.cmd("AT+CGMM"); !strings.HasSuffix(got, "SIM-GENERIC\r\n\r\nOK\r\n") {
		t.Fatalf("after the stall %q", got)
	}
	if out := n.Outbox(); len(out) != 0 {
		t.Fatalf("a stalled submit reached the network: %+v", out)
	}
	// One-shot: the next submit goes through.
	c.send("AT+CMGS=" + strconv.Itoa(n8) + "\r")
	c.waitFor("> ")
	c.send(hexPDU + "\x1a")
	c.waitFor("OK\r\n")
	if out := n.Outbox(); len(out) != 1 {
		t.Fatalf("outbox after a normal submit: %d", len(out))
	}
	// A timed stall ends by itself.
	m.HangOnSubmit(50 * time.Millisecond)
	c.send("AT+CMGS=" + strconv.Itoa(n8) + "\r")
	for deadline := time.Now().Add(10 * time.Second); !m.Hung(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed stall never began")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); m.Hung(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed stall never ended")
		}
	}
	c.drain()
	c.cmd("AT")
}

// HangOnPDU: the PDU reaches the network, its +CMGS answer never comes.
func TestHangOnPDU(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{})
	c := openClient(t, m.Path())
	c.cmd("ATE0")
	c.cmd("AT+CMGF=0")
	m.HangOnPDU(0)
	hexPDU, n8 := submitPDU(t, "+4915112345678", "on the wire", false)
	c.send("AT+CMGS=" + strconv.Itoa(n8) + "\r")
	c.waitFor("> ")
	c.send(hexPDU + "\x1a")
	for deadline := time.Now().Add(10 * time.Second); !m.Hung(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the PDU did not stall the modem")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); len(n.Outbox()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the PDU never reached the network")
		}
	}
	m.Hang(false)
	c.drain()
	if got := c.cmd("AT+CGMM"); strings.Contains(got, "+CMGS") {
		t.Fatalf("the lost answer came after the stall: %q", got)
	}
}
