package pool

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Holder is a process that has a port open.
type Holder struct {
	PID  int
	Name string // from /proc/PID/comm
}

func (h Holder) String() string { return fmt.Sprintf("%s (pid %d)", h.Name, h.PID) }

// Holders lists the other processes that have dev open, by reading
// /proc/*/fd (procRoot is "/proc" unless a test says otherwise). Processes
// we may not inspect are skipped silently: the answer is a hint, not proof.
func Holders(procRoot, dev string) []Holder {
	if procRoot == "" {
		procRoot = "/proc"
	}
	target, err := filepath.EvalSymlinks(dev)
	if err != nil {
		target = dev
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []Holder
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		fdDir := filepath.Join(procRoot, e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			l, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err == nil && (l == target || l == dev) {
				comm, _ := os.ReadFile(filepath.Join(procRoot, e.Name(), "comm"))
				out = append(out, Holder{PID: pid, Name: strings.TrimSpace(string(comm))})
				break
			}
		}
	}
	return out
}

// ModemManagerRunning reports whether a ModemManager process exists.
func ModemManagerRunning(procRoot string) (Holder, bool) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return Holder{}, false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == "ModemManager" {
			return Holder{PID: pid, Name: "ModemManager"}, true
		}
	}
	return Holder{}, false
}

// UdevHint is the fix to log when ModemManager (or another program) grabs a
// modem smsgw should own: a udev rule that tells ModemManager to leave the
// device alone.
func UdevHint(c Candidate) string {
	match := `SUBSYSTEM=="tty", KERNEL=="` + filepath.Base(c.Dev) + `"`
	if c.IsUSB() {
		match = fmt.Sprintf(`ACTION=="add|change", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="%04x", ATTR{idProduct}=="%04x"`, c.VID, c.PID)
	}
	return "put " + match + `, ENV{ID_MM_DEVICE_IGNORE}="1" in /etc/udev/rules.d/70-smsgw-mm-ignore.rules, ` +
		"then run `udevadm control --reload && udevadm trigger` and restart ModemManager " +
		"(or `systemctl mask --now ModemManager` on a dedicated gateway)"
}
