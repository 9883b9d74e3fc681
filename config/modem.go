package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ModemConfig is one [[modem]] table.
type ModemConfig struct {
	// ID names the modem in the API, routing and logs. Default: modem<N>,
	// or the IMEI for a discovered modem.
	ID string `toml:"id"`
	// Port is the device path; a /dev/serial/by-id path survives replugging.
	Port string `toml:"port"`
	Baud int    `toml:"baud"`
	// IMEI binds this entry to a device whatever port it appears on.
	IMEI   string   `toml:"imei"`
	PIN    Secret   `toml:"pin"`
	SMSC   string   `toml:"smsc"`
	Number string   `toml:"number"` // own number, when the SIM does not know it
	Tags   []string `toml:"tags"`
	// Rate is one limit ("10/min") or several (["10/min", "200/day"]).
	Rate RateList `toml:"rate"`
	// Disabled keeps the modem out of the pool without deleting its entry.
	Disabled bool `toml:"disabled"`
}

// Rate is one sending limit: at most N messages per Per.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "sec", time.Minute: "min", time.Hour: "hour", 24 * time.Hour: "day"}[r.Per]
	return fmt.Sprintf("%d/%s", r.N, unit)
}

// RateList is a set of limits that all apply.
type RateList []Rate

var rateRE = regexp.MustCompile(`^\s*(\d+)\s*/\s*([a-z]+)\s*$`)

// ParseRate parses "10/min"; units are s/sec/second, m/min/minute,
// h/hour, d/day.
func ParseRate(s string) (Rate, error) {
	m := rateRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Rate{}, fmt.Errorf("rate %q: want COUNT/UNIT such as \"10/min\" or \"200/day\"", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive integer", s)
	}
	var per time.Duration
	switch m[2] {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "d", "day":
		per = 24 * time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: unit must be sec, min, hour or day", s)
	}
	return Rate{N: n, Per: per}, nil
}

// UnmarshalTOML implements toml.Unmarshaler: a string or a list of strings.
func (rl *RateList) UnmarshalTOML(v any) error {
	var ss []string
	switch v := v.(type) {
	case string:
		ss = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("rate list: want strings like \"10/min\", got %T", x)
			}
			ss = append(ss, s)
		}
	default:
		return fmt.Errorf("rate: want a string like \"10/min\" or a list of them, got %T", v)
	}
	out := RateList{}
	for _, s := range ss {
		r, err := ParseRate(s)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	*rl = out
	return nil
}

// applyDefaults names the i-th [[modem]] (0-based) modem<i+1> when it has
// no id.
func (m *ModemConfig) applyDefaults(i int) {
	if m.ID == "" {
		m.ID = fmt.Sprintf("modem%d", i+1)
	}
	if m.Baud == 0 {
		m.Baud = 115200
	}
}

// validateModems checks every [[modem]] and that ids and ports are unique;
// a modem bound by IMEI alone needs autodetection to be found.
func validateModems(modems []ModemConfig, autodetect bool, bad badFunc) {
	ids := map[string]int{}
	ports := map[string]int{}
	for i, m := range modems {
		key := fmt.Sprintf("modem[%d]", i)
		if m.ID != "" {
			key = fmt.Sprintf("modem %q", m.ID)
		}
		if !validID(m.ID) {
			bad(key+".id", "%q: use letters, digits, '-', '_' or '.' (at most 64)", m.ID)
		}
		if j, dup := ids[m.ID]; dup {
			bad(key+".id", "also used by modem[%d]", j)
		}
		ids[m.ID] = i
		if m.Port == "" && m.IMEI == "" {
			bad(key+".port", "set port (or imei, to bind a discovered modem)")
		}
		if m.Port == "" && m.IMEI != "" && !autodetect && !m.Disabled {
			bad(key+".port", "no port and [autodetect] is off: the modem with IMEI %s can only be found by autodetection", m.IMEI)
		}
		if m.Port != "" {
			if j, dup := ports[m.Port]; dup {
				bad(key+".port", "%s is also modem[%d]'s port", m.Port, j)
			}
			ports[m.Port] = i
		}
		if !validBaud(m.Baud) {
			bad(key+".baud", "%d: not a standard rate (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)", m.Baud)
		}
		if m.IMEI != "" && !allDigits(m.IMEI, 14, 16) {
			bad(key+".imei", "%q: want 14-16 digits", m.IMEI)
		}
		if m.PIN != "" && !allDigits(string(m.PIN), 4, 8) {
			bad(key+".pin", "want 4-8 digits") // value withheld on purpose
		}
		if m.SMSC != "" && !phoneLike(m.SMSC) {
			bad(key+".smsc", "%q: want a number such as +447785016005", m.SMSC)
		}
		if m.Number != "" && !phoneLike(m.Number) {
			bad(key+".number", "%q: want a number such as +4915112345678", m.Number)
		}
		for _, t := range m.Tags {
			if !validID(t) {
				bad(key+".tags", "%q: use letters, digits, '-', '_' or '.'", t)
			}
		}
	}
}
