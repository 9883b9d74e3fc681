package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"

	"smsgw/modem/sim"
)

func TestSimCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	ctlR, ctlW := io.Pipe()
	defer ctlW.Close()
	done := make(chan int)
	var stderr strings.Builder
	go func() {
		code := runSim(ctx, []string{"--modems", "2", "--dir", dir, "--profile", "generic,quectel-ec25"}, ctlR, pw, &stderr)
		pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	var paths []string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			break
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 || !strings.HasPrefix(f[1], "/dev/pts/") {
			t.Fatalf("bad line %q", line)
		}
		paths = append(paths, f[0])
	}
	if len(paths) != 2 {
		t.Fatalf("paths %v", paths)
	}
	// Control lines: an inbound SMS, then a bad command.
	go func() {
		io.WriteString(ctlW, "deliver 1 +4917012345 hello from the control line\nnope\nunplug 7\n")
	}()
	for _, want := range []string{"ok", `error: unknown command "nope" (try help)`, "error: unplug: no modem \"7\" (0-1)"} {
		if !sc.Scan() || sc.Text() != want {
			t.Fatalf("control: got %q, want %q", sc.Text(), want)
		}
	}
	go io.Copy(io.Discard, pr)
	p, err := serial.Open(paths[1], &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("ATE0\rAT+CGMI\rAT+CMGL=4\r")); err != nil {
		t.Fatal(err)
	}
	p.SetReadTimeout(200 * time.Millisecond)
	var got strings.Builder
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 256)
	for !strings.Contains(got.String(), "+CMGL: 1,0,,") && time.Now().Before(deadline) {
		n, _ := p.Read(buf)
		got.Write(buf[:n])
	}
	p.Close()
	if !strings.Contains(got.String(), "Quectel\r\n\r\nOK\r\n") || !strings.Contains(got.String(), "+CMGL: 1,0,,") {
		t.Fatalf("got %q", got.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Lstat(paths[0]); !os.IsNotExist(err) {
		t.Fatalf("symlink left behind: %v", err)
	}
}

func TestSimCommandUsage(t *testing.T) {
	var out, errw strings.Builder
	if code := runSim(context.Background(), []string{"--modems", "1"}, nil, &out, &errw); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := runSim(context.Background(), []string{"--dir", t.TempDir(), "--profile", "nokia"}, nil, &out, &errw); code != 2 {
		t.Fatalf("exit %d", code)
	}
}

// The hang control line takes the stall faults.
func TestSimHangCommands(t *testing.T) {
	n := sim.NewNetwork(sim.NetworkOptions{})
	defer n.Close(context.Background())
	m, err := n.AddModem(context.Background(), sim.Options{Dir: t.TempDir(), Name: "modem0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"hang 0 submit 4s", "hang 0 pdu", "hang 0 for 1h", "hang 0 off"} {
		if err := simCommand(n, strings.Fields(line), io.Discard); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	}
	if m.Hung() {
		t.Error("hang 0 off left the modem silent")
	}
	for _, line := range []string{"hang 0 for", "hang 0 submit soon", "hang 0 sideways"} {
		if err := simCommand(n, strings.Fields(line), io.Discard); err == nil {
			t.Errorf("%q accepted", line)
		}
	}
}
