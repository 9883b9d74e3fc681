package pool

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Candidate is a serial port that may carry a modem's AT interface.
type Candidate struct {
	// Port is the path as found (a /dev/serial/by-id link, say): the name
	// the daemon opens and logs, stable across replugs.
	Port string
	// Dev is the tty it resolves to ("/dev/ttyUSB2").
	Dev string
	// USB identity from sysfs; zero when the tty is not on USB (a pty, a
	// UART HAT).
	VID, PID  uint16
	Serial    string
	Interface int    // bInterfaceNumber, -1 when unknown
	USBDevice string // sysfs path of the USB device: groups the ports of one stick
}

// IsUSB reports whether sysfs tied the port to a USB device.
func (c Candidate) IsUSB() bool { return c.USBDevice != "" }

// Scanner finds candidate ports from globs and sysfs, without opening any
// port: the enumerator's GetPortsList would open every ttyS* and disturb the
// Raspberry Pi's console UART, so the daemon never calls it.
type Scanner struct {
	Globs []string
	// VIDPID, when not empty, keeps only USB devices with these ids
	// (vid<<16 | pid).
	VIDPID []uint32
	// SysfsRoot is "/sys" unless a test says otherwise.
	SysfsRoot string
}

// Scan returns the candidates matching the globs, deduplicated by the tty
// they resolve to (a by-id and a by-path link to one tty count once), in a
// stable order: by USB device, then interface number, then path.
func (s *Scanner) Scan() []Candidate {
	root := s.SysfsRoot
	if root == "" {
		root = "/sys"
	}
	seen := map[string]bool{}
	var out []Candidate
	for _, g := range s.Globs {
		paths, _ := filepath.Glob(g)
		sort.Strings(paths)
		for _, p := range paths {
			dev, err := filepath.EvalSymlinks(p)
			if err != nil {
				continue // a dangling link: the device just left
			}
			if fi, err := os.Stat(dev); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
				continue
			}
			if seen[dev] {
				continue
			}
			seen[dev] = true
			c := Candidate{Port: p, Dev: dev, Interface: -1}
			fillUSB(&c, root)
			if len(s.VIDPID) > 0 && !s.wanted(c) {
				continue
			}
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.USBDevice != b.USBDevice {
			return a.USBDevice < b.USBDevice
		}
		if a.Interface != b.Interface {
			return a.Interface < b.Interface
		}
		return a.Port < b.Port
	})
	return out
}

func (s *Scanner) wanted(c Candidate) bool {
	if !c.IsUSB() {
		return false
	}
	id := uint32(c.VID)<<16 | uint32(c.PID)
	for _, w := range s.VIDPID {
		if w == id {
			return true
		}
	}
	return false
}

// fillUSB walks from /sys/class/tty/<name>/device up to the USB interface
// (which has bInterfaceNumber) and the USB device above it (idVendor,
// idProduct, serial). usb-serial ttys sit one level below the interface,
// cdc_acm ttys on it.
func fillUSB(c *Candidate, root string) {
	name := ttyName(c, root)
	dir, err := filepath.EvalSymlinks(filepath.Join(root, "class", "tty", name, "device"))
	if err != nil {
		return
	}
	for i := 0; i < 6 && dir != "/" && dir != "." && strings.HasPrefix(dir, root); i++ {
		if c.Interface < 0 {
			if v, ok := readAttr(dir, "bInterfaceNumber"); ok {
				if n, err := strconv.ParseUint(v, 16, 8); err == nil {
					c.Interface = int(n)
				}
			}
		}
		if vid, ok := readAttr(dir, "idVendor"); ok {
			pid, _ := readAttr(dir, "idProduct")
			v, err1 := strconv.ParseUint(vid, 16, 16)
			p, err2 := strconv.ParseUint(pid, 16, 16)
			if err1 != nil || err2 != nil {
				return
			}
			c.VID, c.PID = uint16(v), uint16(p)
			c.Serial, _ = readAttr(dir, "serial")
			c.USBDevice = dir
			return
		}
		dir = filepath.Dir(dir)
	}
}

// ttyName finds the kernel name of the tty behind a port: the last link in
// the chain from Port (or Dev) whose name sysfs knows under class/tty.
func ttyName(c *Candidate, root string) string {
	name := filepath.Base(c.Dev)
	p := c.Port
	if p == "" {
		p = c.Dev
	}
	for i := 0; i < 10 && p != ""; i++ {
		if _, err := os.Stat(filepath.Join(root, "class", "tty", filepath.Base(p))); err == nil {
			name = filepath.Base(p)
		}
		next, err := os.Readlink(p)
		if err != nil {
			break
		}
		if !filepath.IsAbs(next) {
			next = filepath.Join(filepath.Dir(p), next)
		}
		p = next
	}
	return name
}

func readAttr(dir, name string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// Group splits candidates by physical device: the ports of one multi-port
// USB stick form one group; every non-USB port is a group of its own.
func Group(cs []Candidate) [][]Candidate {
	var out [][]Candidate
	idx := map[string]int{}
	for _, c := range cs {
		if !c.IsUSB() {
			out = append(out, []Candidate{c})
			continue
		}
		if i, ok := idx[c.USBDevice]; ok {
			out[i] = append(out[i], c)
			continue
		}
		idx[c.USBDevice] = len(out)
		out = append(out, []Candidate{c})
	}
	for _, g := range out {
		orderForProbe(g)
	}
	return out
}

// atInterface is the interface that carries AT commands on common sticks
// (ModemManager's port-type rules are the public map). Probing tries it
// first, so a DIAG or GPS port is never written to when the map is right.
var atInterface = map[uint32]int{
	0x2c7c_0125: 2, // Quectel EC25/EG25
	0x2c7c_0121: 2, // Quectel EC21
	0x2c7c_0195: 2, // Quectel EG95
	0x2c7c_0296: 2, // Quectel BG96
	0x2c7c_0306: 2, // Quectel EG06/EP06
	0x1e0e_9001: 2, // SIMCom SIM7100/7600
	0x1e0e_9205: 2, // SIMCom SIM7070/7080
	0x12d1_1001: 2, // Huawei E1550/E173 modem mode: if00 modem, if02 PCUI
	0x12d1_1506: 2, // Huawei E3372 stick mode
	0x12d1_1436: 4, // Huawei E173 variants
	0x12d1_14ac: 4, // Huawei E1820/E398
}

// orderForProbe puts the known AT interface first, then the rest by
// interface number.
func orderForProbe(g []Candidate) {
	if len(g) == 0 {
		return
	}
	want, ok := atInterface[uint32(g[0].VID)<<16|uint32(g[0].PID)]
	sort.SliceStable(g, func(i, j int) bool {
		ai, aj := ok && g[i].Interface == want, ok && g[j].Interface == want
		if ai != aj {
			return ai
		}
		return g[i].Interface < g[j].Interface
	})
}

// KnownATInterface returns the AT interface number of a known stick.
func KnownATInterface(vid, pid uint16) (int, bool) {
	n, ok := atInterface[uint32(vid)<<16|uint32(pid)]
	return n, ok
}
