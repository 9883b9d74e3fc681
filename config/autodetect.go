package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// AutodetectConfig is the [autodetect] table: finding modems by themselves.
type AutodetectConfig struct {
	// Enabled defaults to true when no [[modem]] is configured and no
	// simulation is asked for, false otherwise.
	Enabled bool `toml:"enabled"`
	// Globs of candidate ports; default /dev/serial/by-id/*.
	Globs []string `toml:"globs"`
	// VIDPID restricts candidates to these USB ids ("12d1:1001"); empty
	// accepts every USB serial device the globs find.
	VIDPID []string `toml:"vid_pid"`
	// Interval between rescans for hot-plugged devices (default 5s).
	Interval Duration `toml:"interval"`
	// ProbeTimeout bounds the AT probe of one interface (default 2s).
	ProbeTimeout Duration `toml:"probe_timeout"`

	explicit bool // enabled was set in the file
}

func (a *AutodetectConfig) applyDefaults() {
	if len(a.Globs) == 0 {
		a.Globs = []string{"/dev/serial/by-id/*"}
	}
	defaultDuration(&a.Interval, 5*time.Second)
	defaultDuration(&a.ProbeTimeout, 2*time.Second)
}

func (a AutodetectConfig) validate(bad badFunc) {
	for _, g := range a.Globs {
		if _, err := filepath.Match(g, ""); err != nil {
			bad("autodetect.globs", "%q: %v", g, err)
		}
	}
	for _, vp := range a.VIDPID {
		if _, _, err := ParseVIDPID(vp); err != nil {
			bad("autodetect.vid_pid", "%v", err)
		}
	}
	nonNegative(bad, "autodetect.interval", a.Interval)
	nonNegative(bad, "autodetect.probe_timeout", a.ProbeTimeout)
}

// ParseVIDPID parses "12d1:1001" into vendor and product ids.
func ParseVIDPID(s string) (vid, pid uint16, err error) {
	a, b, ok := strings.Cut(s, ":")
	v1, err1 := strconv.ParseUint(a, 16, 16)
	v2, err2 := strconv.ParseUint(b, 16, 16)
	if !ok || err1 != nil || err2 != nil || len(a) != 4 || len(b) != 4 {
		return 0, 0, fmt.Errorf("%q: want VID:PID in hex, such as 12d1:1001", s)
	}
	return uint16(v1), uint16(v2), nil
}
