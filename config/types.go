package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Secret is a string that never prints: fmt, slog and JSON all see
// "[redacted]". Reveal returns the value for the one place that needs it.
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without disclosing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps encoders (JSON, TOML) from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText lets decoders set the value (MarshalText alone would make
// encoding.TextUnmarshaler-aware decoders refuse the type).
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

// Duration is a configuration duration. In TOML it must be a string that
// time.ParseDuration reads ("30s", "3m", "1h30m"): a bare number is refused,
// because the decoder would otherwise take 180 as 180 nanoseconds and the
// daemon would start with every timeout already expired. The embedded
// time.Duration is what callers use (cfg.Retry.SendTimeout.Duration), and its
// methods (Seconds, String) are promoted.
type Duration struct{ time.Duration }

// D makes a Duration, for tests and code that fill a Config by hand.
func D(d time.Duration) Duration { return Duration{d} }

// durationHint starts every refusal of a duration value; Parse recognises it
// to name the key in its own words.
const durationHint = "is not a duration"

// UnmarshalTOML implements toml.Unmarshaler: only strings are durations.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		return d.UnmarshalText([]byte(v))
	case int64:
		return fmt.Errorf("%d %s; write \"%ds\"", v, durationHint, v)
	case float64:
		return fmt.Errorf("%v %s; write \"%vs\"", v, durationHint, v)
	default:
		return fmt.Errorf("a %T %s; write a string such as \"30s\"", v, durationHint)
	}
}

// UnmarshalText reads "30s", "5m", "1h30m". A number without a unit is
// refused here too (time.ParseDuration accepts only "0" that way).
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	x, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q %s: want a number with a unit, such as \"30s\", \"5m\" or \"1h\"", string(b), durationHint)
	}
	d.Duration = x
	return nil
}

// MarshalText writes the duration as time.Duration prints it ("3m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// durationError rewrites the decoder's report of a refused duration as
// "[retry] send_timeout: 180 is not a duration; write "180s"", naming the
// key the way the file spells it. Other errors pass unchanged.
func durationError(err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, durationHint) || pe.LastKey == "" {
		return err
	}
	key := pe.LastKey
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = "[" + key[:i] + "] " + key[i+1:]
	}
	if pe.Position.Line > 0 {
		return fmt.Errorf("line %d: %s: %s", pe.Position.Line, key, pe.Message)
	}
	return fmt.Errorf("%s: %s", key, pe.Message)
}

// defaultDuration sets d to v when the file left it out (or set it to 0).
func defaultDuration(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

// badFunc records one problem with the key it concerns; Validate collects
// them so that a file with several mistakes is reported whole.
type badFunc func(key, format string, args ...any)

// nonNegative refuses a negative duration (zero is allowed: it means the
// default or "off", as each key says).
func nonNegative(bad badFunc, key string, d Duration) {
	if d.Duration < 0 {
		bad(key, "%v: must not be negative", d)
	}
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	return nil
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func validID(s string) bool { return idRE.MatchString(s) }

func validBaud(b int) bool {
	switch b {
	case 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600:
		return true
	}
	return false
}

func allDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func phoneLike(s string) bool {
	return allDigits(strings.TrimPrefix(s, "+"), 3, 20)
}
