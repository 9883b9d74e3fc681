package sim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/modem/pdu"
)

// gammu runs Debian's gammu CLI against an emulated port: an independent
// AT client checking the emulator's fidelity.
func gammu(t *testing.T, port string, args ...string) string {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "gammurc")
	conf := fmt.Sprintf("[gammu]\ndevice = %s\nconnection = at\nmodel = at\n", port)
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gammu", append([]string{"-c", rc}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gammu %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func needGammu(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gammu"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gammu not installed (Debian package gammu)")
		}
		t.Skip("gammu not installed; apt-get install gammu to run this interop test")
	}
}

// TestGammuInterop: gammu identifies an emulated modem, sends a long Unicode
// SMS (3 concatenated UCS-2 parts) to a second emulated modem, and reads it
// back there.
func TestGammuInterop(t *testing.T) {
	needGammu(t)
	t.Parallel()
	n := newNet(t)
	dir := t.TempDir()
	a := addModem(t, n, Options{Dir: dir, Profile: "simcom-sim800"})
	b := addModem(t, n, Options{Dir: dir, Profile: "quectel-ec25"})

	id := gammu(t, a.Path(), "identify")
	for _, want := range []string{"SIMCOM_Ltd", "SIMCOM_SIM800", a.IMEI(), a.IMSI()} {
		if !strings.Contains(id, want) {
			t.Errorf("identify lacks %q:\n%s", want, id)
		}
	}

	text := strings.Repeat("Привет, мир! 你好世界 🎉 ", 9) + "конец."
	out := gammu(t, a.Path(), "sendsms", "TEXT", b.Number(), "-unicode", "-len", "400", "-text", text)
	sent := n.Submitted()
	if len(sent) < 3 || !sent[0].Internal || sent[0].To != b.Number() {
		t.Fatalf("network saw %d submits: %+v", len(sent), sent)
	}
	if !strings.Contains(out, fmt.Sprintf("message reference=%d", len(sent)-1)) {
		t.Fatalf("sendsms:\n%s", out)
	}

	// Read it on the receiving side through our own view of the SIM...
	var pdus [][]byte
	for _, sm := range b.Messages() {
		pdus = append(pdus, sm.PDU)
	}
	content, err := pdu.JoinPDUs(pdus, true)
	if err != nil || content.Text != text || content.Coding != pdu.CodingUCS2 {
		t.Fatalf("joined %q (%v), %v", content.Text, content.Coding, err)
	}
	// ...and through gammu on the second port.
	all := gammu(t, b.Path(), "getallsms")
	last := fmt.Sprintf("part %d of %d", len(sent), len(sent))
	if strings.Count(all, "Remote number        : \""+a.Number()+"\"") != len(sent) || !strings.Contains(all, last) || !strings.Contains(all, "конец.") {
		t.Fatalf("getallsms:\n%s", all)
	}
}

// TestGammuMonitorHuawei: gammu's monitor and USSD paths against the Huawei
// profile (^CURC, ^PORTSEL, phonebook, battery, registration, operator).
func TestGammuMonitorHuawei(t *testing.T) {
	needGammu(t)
	t.Parallel()
	n := newNet(t)
	m := addModem(t, n, Options{Profile: "huawei-e173"})
	out := gammu(t, m.Path(), "monitor", "1")
	for _, want := range []string{"Signal strength      : -73 dBm", "SIM SMS status       : 0 used, 0 unread, 50 locations", "Network state        : home network", `Name in phone        : "SimNet"`} {
		if !strings.Contains(out, want) {
			t.Errorf("monitor lacks %q:\n%s", want, out)
		}
	}
	if out := gammu(t, m.Path(), "getussd", "*100#"); !strings.Contains(out, `Service reply        : "Balance: 12.34 EUR"`) {
		t.Errorf("getussd:\n%s", out)
	}
}
