//go:build linux

package sim

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pty is one pseudo-terminal pair: the master side the emulator drives and
// the slave path a client opens like /dev/ttyUSB0.
type pty struct {
	master *os.File
	// hold keeps the slave open for the life of the pair so the master never
	// reads EIO between client sessions (a USB modem's tty also exists while
	// nobody has it open), and so the raw mode set here sticks.
	hold  *os.File
	slave string
	// closes reports, through inotify, every close of the slave device. A
	// client killed with TIOCEXCL set would otherwise leave the tty
	// exclusive forever (the hold keeps it from being freed, which is what
	// clears the flag on a real serial port), and the next non-root open
	// would fail with EBUSY. Nil when inotify is unavailable.
	closes *os.File
}

// openPTY allocates a pty pair through /dev/ptmx, unlocks it and puts the
// slave into raw mode (no echo, no CR/LF translation: bytes pass verbatim in
// both directions, as on a USB CDC/serial modem port).
func openPTY() (*pty, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("sim: open /dev/ptmx: %w", err)
	}
	fail := func(step string, err error) (*pty, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("sim: pty %s: %w", step, err)
	}
	// unlockpt: clear the slave lock (grantpt is a no-op with devpts).
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlock", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		return fail("get number", err)
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open slave", err)
	}
	if err := makeRaw(sfd); err != nil {
		unix.Close(sfd)
		return fail("raw mode", err)
	}
	// A non-blocking fd makes os.File use the runtime poller, so Close
	// interrupts a blocked Read or Write on the master.
	p := &pty{
		master: os.NewFile(uintptr(fd), "/dev/ptmx"),
		hold:   os.NewFile(uintptr(sfd), name),
		slave:  name,
	}
	if ifd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC); err == nil {
		if _, err := unix.InotifyAddWatch(ifd, name, unix.IN_CLOSE_WRITE|unix.IN_CLOSE_NOWRITE); err == nil {
			p.closes = os.NewFile(uintptr(ifd), "inotify:"+name)
		} else {
			unix.Close(ifd)
		}
	}
	return p, nil
}

// watchCloses clears the slave's exclusive-use flag after every close of
// the slave by a client, until the pty is closed.
func (p *pty) watchCloses() {
	if p.closes == nil {
		return
	}
	buf := make([]byte, 4096)
	for {
		if _, err := p.closes.Read(buf); err != nil {
			return
		}
		rc, err := p.hold.SyscallConn()
		if err != nil {
			return
		}
		// Control fails once hold is closed, so the ioctl never hits a
		// reused descriptor number.
		if rc.Control(func(fd uintptr) { _ = unix.IoctlSetInt(int(fd), unix.TIOCNXCL, 0) }) != nil {
			return
		}
	}
}

func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// close tears the pair down; a client holding the slave then reads EOF and
// gets EIO on write, as when a USB modem is pulled.
func (p *pty) close() error {
	if p.closes != nil {
		p.closes.Close()
	}
	err := p.master.Close()
	if e := p.hold.Close(); err == nil {
		err = e
	}
	return err
}
