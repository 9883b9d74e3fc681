package pool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeSys builds a sysfs and /dev tree under a temp dir: a Huawei stick
// with three usb-serial interfaces, a cdc_acm modem, and a UART with no USB
// parent. Device nodes are symlinks to real char devices (see charDev).
type fakeSys struct {
	root, sys, dev, byID string
}

func newFakeSys(t *testing.T) *fakeSys {
	t.Helper()
	root := t.TempDir()
	f := &fakeSys{root: root, sys: filepath.Join(root, "sys"), dev: filepath.Join(root, "dev"), byID: filepath.Join(root, "dev", "serial", "by-id")}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(f.byID, 0o755))
	must(os.MkdirAll(filepath.Join(f.sys, "class", "tty"), 0o755))
	write := func(p, v string) {
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(v+"\n"), 0o644))
	}

	usb := func(devpath, vid, pid, serial string) string {
		d := filepath.Join(f.sys, "devices", "pci0000:00", "usb1", devpath)
		write(filepath.Join(d, "idVendor"), vid)
		write(filepath.Join(d, "idProduct"), pid)
		if serial != "" {
			write(filepath.Join(d, "serial"), serial)
		}
		return d
	}
	tty := func(name, ifaceDir string, usbSerial bool, link string) {
		// /dev node: a symlink to a distinct real char device stands in.
		must(os.Symlink(charDev[name], filepath.Join(f.dev, name)))
		devDir := ifaceDir
		if usbSerial {
			devDir = filepath.Join(ifaceDir, name) // usb-serial port device
		}
		must(os.MkdirAll(filepath.Join(devDir, "tty", name), 0o755))
		classDir := filepath.Join(f.sys, "class", "tty", name)
		must(os.MkdirAll(classDir, 0o755))
		must(os.Symlink(devDir, filepath.Join(classDir, "device")))
		if link != "" {
			must(os.Symlink(filepath.Join(f.dev, name), filepath.Join(f.byID, link)))
		}
	}
	hw := usb("1-1", "12d1", "1001", "")
	for i, name := range []string{"ttyUSB0", "ttyUSB1", "ttyUSB2"} {
		iface := filepath.Join(hw, "1-1:1."+string(rune('0'+i)))
		write(filepath.Join(iface, "bInterfaceNumber"), "0"+string(rune('0'+i)))
		tty(name, iface, true, "usb-HUAWEI_Technology_HUAWEI_Mobile-if0"+string(rune('0'+i))+"-port0")
	}
	acm := usb("1-2", "1e0e", "9001", "ABC123")
	acmIf := filepath.Join(acm, "1-2:1.2")
	write(filepath.Join(acmIf, "bInterfaceNumber"), "02")
	tty("ttyACM0", acmIf, false, "usb-SimTech_SIM7600-if02")
	// A tty with no USB parent, found by a second glob.
	must(os.Symlink(charDev["ttyAMA0"], filepath.Join(f.dev, "ttyAMA0")))
	must(os.MkdirAll(filepath.Join(f.sys, "devices", "platform", "serial0", "tty", "ttyAMA0"), 0o755))
	must(os.MkdirAll(filepath.Join(f.sys, "class", "tty", "ttyAMA0"), 0o755))
	must(os.Symlink(filepath.Join(f.sys, "devices", "platform", "serial0"), filepath.Join(f.sys, "class", "tty", "ttyAMA0", "device")))
	return f
}

func TestFillUSB(t *testing.T) {
	f := newFakeSys(t)
	for _, tc := range []struct {
		dev       string
		vid, pid  uint16
		iface     int
		serial    string
		usbSuffix string
	}{
		{"ttyUSB2", 0x12d1, 0x1001, 2, "", "1-1"},
		{"ttyUSB0", 0x12d1, 0x1001, 0, "", "1-1"},
		{"ttyACM0", 0x1e0e, 0x9001, 2, "ABC123", "1-2"},
		{"ttyAMA0", 0, 0, -1, "", ""},
	} {
		c := Candidate{Port: filepath.Join(f.dev, tc.dev), Dev: charDev[tc.dev], Interface: -1}
		fillUSB(&c, f.sys)
		if c.VID != tc.vid || c.PID != tc.pid || c.Interface != tc.iface || c.Serial != tc.serial || !strings.HasSuffix(c.USBDevice, tc.usbSuffix) {
			t.Errorf("%s: %+v", tc.dev, c)
		}
	}
}

func TestGroupOrdersKnownATInterfaceFirst(t *testing.T) {
	hw := "/sys/devices/usb1/1-1"
	cs := []Candidate{
		{Port: "if00", USBDevice: hw, VID: 0x12d1, PID: 0x1001, Interface: 0},
		{Port: "if01", USBDevice: hw, VID: 0x12d1, PID: 0x1001, Interface: 1},
		{Port: "if02", USBDevice: hw, VID: 0x12d1, PID: 0x1001, Interface: 2},
		{Port: "acm", USBDevice: "/sys/devices/usb1/1-2", VID: 0x1234, PID: 0x5678, Interface: 0},
		{Port: "uart", Interface: -1},
	}
	var got [][]string
	for _, g := range Group(cs) {
		var ports []string
		for _, c := range g {
			ports = append(ports, c.Port)
		}
		got = append(got, ports)
	}
	want := [][]string{{"if02", "if00", "if01"}, {"acm"}, {"uart"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestScanFiltersVIDPID(t *testing.T) {
	f := newFakeSys(t)
	s := &Scanner{Globs: []string{filepath.Join(f.byID, "*"), filepath.Join(f.dev, "ttyAMA*")}, SysfsRoot: f.sys}
	all := s.Scan()
	if len(all) != 5 {
		t.Fatalf("found %d candidates, want 5: %+v", len(all), all)
	}
	s.VIDPID = []uint32{0x1e0e_9001}
	only := s.Scan()
	if len(only) != 1 || only[0].VID != 0x1e0e || !strings.Contains(only[0].Port, "SIM7600") {
		t.Errorf("filtered: %+v", only)
	}
}

// charDev gives every fake tty a distinct character device that exists on
// any Linux machine, so resolving links keeps them apart.
var charDev = map[string]string{"ttyUSB0": "/dev/null", "ttyUSB1": "/dev/zero", "ttyUSB2": "/dev/full", "ttyACM0": "/dev/random", "ttyAMA0": "/dev/urandom"}

func TestHoldersAndUdevHint(t *testing.T) {
	proc := t.TempDir()
	mk := func(pid, comm string, fds map[string]string) {
		d := filepath.Join(proc, pid)
		if err := os.MkdirAll(filepath.Join(d, "fd"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "comm"), []byte(comm+"\n"), 0o644)
		for fd, target := range fds {
			os.Symlink(target, filepath.Join(d, "fd", fd))
		}
	}
	mk("101", "ModemManager", map[string]string{"0": "/dev/null", "7": "/dev/ttyUSB2"})
	mk("202", "bash", map[string]string{"0": "/dev/pts/1"})
	mk("self", "x", nil)
	hs := Holders(proc, "/dev/ttyUSB2")
	if diff := cmp.Diff([]Holder{{PID: 101, Name: "ModemManager"}}, hs); diff != "" {
		t.Errorf("holders (-want +got):\n%s", diff)
	}
	if h, ok := ModemManagerRunning(proc); !ok || h.PID != 101 {
		t.Errorf("ModemManagerRunning = %v %v", h, ok)
	}
	hint := UdevHint(Candidate{Dev: "/dev/ttyUSB2", USBDevice: "x", VID: 0x12d1, PID: 0x1001})
	for _, want := range []string{`ID_MM_DEVICE_IGNORE}="1"`, `ATTR{idVendor}=="12d1"`, `ATTR{idProduct}=="1001"`, "udevadm"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint lacks %q: %s", want, hint)
		}
	}
}
