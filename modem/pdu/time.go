package pdu

import (
	"fmt"
	"time"
)

// decodeSemi reads one swapped semi-octet pair as a decimal number.
func decodeSemi(b byte) (int, bool) {
	lo, hi := int(b&0x0F), int(b>>4)
	return lo*10 + hi, lo <= 9 && hi <= 9
}

func encodeSemi(v int) byte { return byte(v/10) | byte(v%10)<<4 }

// decodeTimestamp reads a TP-SCTS / TP-DT / absolute TP-VP (TS 23.040
// clause 9.2.3.11): YY MM DD hh mm ss TZ, swapped semi-octets, TZ in
// quarters of an hour with the sign in bit 3.
func decodeTimestamp(b []byte) (time.Time, error) {
	var v [6]int
	for i := 0; i < 6; i++ {
		n, ok := decodeSemi(b[i])
		if !ok {
			return time.Time{}, fmt.Errorf("%w: octet %d (0x%02X) is not two decimal digits", ErrInvalid, i, b[i])
		}
		v[i] = n
	}
	tzb := b[6]
	q := int(tzb&0x07)*10 + int(tzb>>4)
	if tzb>>4 > 9 || q > 79 {
		return time.Time{}, fmt.Errorf("%w: time zone octet 0x%02X", ErrInvalid, tzb)
	}
	if tzb&0x08 != 0 {
		q = -q
	}
	year := 2000 + v[0]
	// Two-digit years: the GSM era began in 1991, so 90-99 are 1990s.
	if v[0] >= 90 {
		year = 1900 + v[0]
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, fmt.Errorf("%w: date %02d-%02d-%02d %02d:%02d:%02d", ErrInvalid, v[0], v[1], v[2], v[3], v[4], v[5])
	}
	loc := time.FixedZone("", q*15*60)
	return time.Date(year, time.Month(v[1]), v[2], v[3], v[4], v[5], 0, loc), nil
}

// appendTimestamp encodes t in its own zone offset (rounded to a quarter
// hour, as the field allows nothing finer).
func appendTimestamp(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	q := off / (15 * 60)
	neg := q < 0
	if neg {
		q = -q
	}
	if q > 79 {
		q = 79
	}
	y := t.Year() % 100
	dst = append(dst, encodeSemi(y), encodeSemi(int(t.Month())), encodeSemi(t.Day()),
		encodeSemi(t.Hour()), encodeSemi(t.Minute()), encodeSemi(t.Second()))
	tz := encodeSemi(q)
	if neg {
		tz |= 0x08
	}
	return append(dst, tz)
}

// ValidityFormat is TP-VPF, TS 23.040 clause 9.2.3.3 (bits 4-3 of a
// SUBMIT first octet).
type ValidityFormat byte

// Validity period formats.
const (
	ValidityNone     ValidityFormat = 0
	ValidityEnhanced ValidityFormat = 1
	ValidityRelative ValidityFormat = 2
	ValidityAbsolute ValidityFormat = 3
)

func (f ValidityFormat) String() string {
	return [...]string{"none", "enhanced", "relative", "absolute"}[f&3]
}

// Validity is TP-VP of an SMS-SUBMIT. For the relative format Duration is
// what the octet means (encoding rounds up to the next representable
// value); for absolute Time is set; for enhanced Enhanced holds the seven
// octets as received and Duration their meaning where one is defined.
type Validity struct {
	Format   ValidityFormat
	Duration time.Duration
	Time     time.Time
	Enhanced [7]byte
}

// RelativeValidity returns a relative validity of at least d (capped at the
// 63 weeks the field can express).
func RelativeValidity(d time.Duration) Validity {
	return Validity{Format: ValidityRelative, Duration: relativeDuration(relativeOctet(d))}
}

// RelativeValidityOctet returns the relative validity a TP-VP octet
// stands for, as AT+CSMP's <vp> gives it in text mode.
func RelativeValidityOctet(v byte) Validity {
	return Validity{Format: ValidityRelative, Duration: relativeDuration(v)}
}

// relativeDuration decodes a relative TP-VP octet (TS 23.040 clause
// 9.2.3.12.1).
func relativeDuration(v byte) time.Duration {
	switch {
	case v <= 143:
		return time.Duration(v+1) * 5 * time.Minute
	case v <= 167:
		return 12*time.Hour + time.Duration(v-143)*30*time.Minute
	case v <= 196:
		return time.Duration(v-166) * 24 * time.Hour
	}
	return time.Duration(v-192) * 7 * 24 * time.Hour
}

// relativeOctet returns the smallest relative TP-VP octet whose period is
// at least d.
func relativeOctet(d time.Duration) byte {
	if d <= 5*time.Minute {
		return 0
	}
	// Coarse search over 256 values is clear and cheap.
	for v := 0; v <= 255; v++ {
		if relativeDuration(byte(v)) >= d {
			return byte(v)
		}
	}
	return 255
}

func (v Validity) appendTo(dst []byte) ([]byte, error) {
	switch v.Format {
	case ValidityNone:
		return dst, nil
	case ValidityRelative:
		return append(dst, relativeOctet(v.Duration)), nil
	case ValidityAbsolute:
		if v.Time.IsZero() {
			return dst, fmt.Errorf("%w: absolute validity without a time", ErrInvalid)
		}
		return appendTimestamp(dst, v.Time), nil
	case ValidityEnhanced:
		return append(dst, v.Enhanced[:]...), nil
	}
	return dst, fmt.Errorf("%w: validity format %d", ErrInvalid, v.Format)
}

func readValidity(r *reader, f ValidityFormat) (Validity, error) {
	v := Validity{Format: f}
	switch f {
	case ValidityRelative:
		b, err := r.byte("TP-VP")
		if err != nil {
			return v, err
		}
		v.Duration = relativeDuration(b)
	case ValidityAbsolute:
		start := r.off
		b, err := r.bytes("TP-VP", 7)
		if err != nil {
			return v, err
		}
		t, err := decodeTimestamp(b)
		if err != nil {
			return v, r.failAt("TP-VP", start, err)
		}
		v.Time = t
	case ValidityEnhanced:
		b, err := r.bytes("TP-VP", 7)
		if err != nil {
			return v, err
		}
		copy(v.Enhanced[:], b)
		v.Duration = enhancedDuration(v.Enhanced)
	}
	return v, nil
}

// enhancedDuration interprets the enhanced format (TS 23.040 clause
// 9.2.3.12.3): bits 2-0 of the functionality indicator select none,
// relative octet, seconds 0-255, or hh:mm:ss semi-octets.
func enhancedDuration(e [7]byte) time.Duration {
	off := 1
	if e[0]&0x80 != 0 { // extension octet follows the indicator
		off = 2
	}
	switch e[0] & 7 {
	case 1:
		return relativeDuration(e[off])
	case 2:
		return time.Duration(e[off]) * time.Second
	case 3:
		if off+2 >= len(e) {
			return 0
		}
		h, ok1 := decodeSemi(e[off])
		m, ok2 := decodeSemi(e[off+1])
		s, ok3 := decodeSemi(e[off+2])
		if ok1 && ok2 && ok3 {
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
		}
	}
	return 0
}
