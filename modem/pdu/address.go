package pdu

import (
	"fmt"
	"strings"
)

// TON is the type of number of an address, TS 23.040 clause 9.1.2.5.
type TON byte

// Types of number.
const (
	TONUnknown       TON = 0
	TONInternational TON = 1
	TONNational      TON = 2
	TONNetwork       TON = 3
	TONSubscriber    TON = 4
	TONAlphanumeric  TON = 5 // GSM 7-bit default alphabet, packed
	TONAbbreviated   TON = 6
	TONReserved      TON = 7
)

// NPI is the numbering plan identification of an address.
type NPI byte

// Numbering plans.
const (
	NPIUnknown  NPI = 0
	NPIISDN     NPI = 1 // E.164
	NPIData     NPI = 3
	NPITelex    NPI = 4
	NPINational NPI = 8
	NPIPrivate  NPI = 9
	NPIERMES    NPI = 10
)

// Address is a TP-OA/TP-DA/TP-RA or SMSC address. Number holds the digits
// (0-9 and * # a b c) without a leading '+', or the text of an alphanumeric
// address (TON 5). TON and NPI are kept as received.
type Address struct {
	TON    TON
	NPI    NPI
	Number string
}

// IsZero reports whether a is the empty address (no SMSC given).
func (a Address) IsZero() bool { return a.Number == "" && a.TON == 0 && a.NPI == 0 }

// String returns the number as users write it: E.164 with '+' when
// international, the digits otherwise, the text for alphanumeric.
func (a Address) String() string {
	if a.TON == TONInternational && a.Number != "" {
		return "+" + a.Number
	}
	return a.Number
}

// ParseAddress reads a number as users write it: "+4912345" is
// international/ISDN, "012345", "*100#" unknown/ISDN, and anything else that
// fits the GSM 7-bit alphabet in at most 11 characters alphanumeric. Spaces,
// dashes, dots and parentheses between digits are ignored.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, fmt.Errorf("%w: empty address", ErrInvalid)
	}
	cleaned := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	intl := strings.HasPrefix(cleaned, "+")
	digits := strings.TrimPrefix(cleaned, "+")
	numeric := digits != ""
	for _, r := range digits {
		if !strings.ContainsRune("0123456789*#", r) {
			numeric = false
			break
		}
	}
	if numeric {
		if len(digits) > 20 {
			return Address{}, fmt.Errorf("%w: address %q has more than 20 digits", ErrTooLong, s)
		}
		if intl {
			return Address{TON: TONInternational, NPI: NPIISDN, Number: digits}, nil
		}
		return Address{TON: TONUnknown, NPI: NPIISDN, Number: digits}, nil
	}
	if intl {
		return Address{}, fmt.Errorf("%w: %q: '+' must be followed by digits", ErrInvalid, s)
	}
	if !IsGSM7(s) {
		return Address{}, fmt.Errorf("%w: address %q is neither a number nor GSM 7-bit text", ErrInvalid, s)
	}
	if sep, _ := EncodeGSM7(s); len(sep) > 11 {
		return Address{}, fmt.Errorf("%w: alphanumeric address %q is longer than 11 characters", ErrTooLong, s)
	}
	return Address{TON: TONAlphanumeric, NPI: NPIUnknown, Number: s}, nil
}

func (a Address) toa() byte { return 0x80 | byte(a.TON&7)<<4 | byte(a.NPI&0x0F) }

// semi-octet digit values, TS 23.040 clause 9.1.2.3.
const bcdDigits = "0123456789*#abc"

func digitValue(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r == '*':
		return 0x0A, true
	case r == '#':
		return 0x0B, true
	case r == 'a' || r == 'A':
		return 0x0C, true
	case r == 'b' || r == 'B':
		return 0x0D, true
	case r == 'c' || r == 'C':
		return 0x0E, true
	}
	return 0, false
}

// appendBCD packs digits as swapped semi-octets, F-filled.
func appendBCD(dst []byte, digits string) ([]byte, error) {
	var cur byte
	half := false
	for i, r := range digits {
		v, ok := digitValue(r)
		if !ok {
			return dst, fmt.Errorf("%w: %q at %d is not a digit", ErrInvalid, r, i)
		}
		if !half {
			cur = v
		} else {
			dst = append(dst, cur|v<<4)
		}
		half = !half
	}
	if half {
		dst = append(dst, cur|0xF0)
	}
	return dst, nil
}

// decodeBCD reads n semi-octet digits; an F nibble ends the number early.
func decodeBCD(b []byte, n int) string {
	var sb strings.Builder
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2]
		if i%2 == 1 {
			v >>= 4
		}
		v &= 0x0F
		if v == 0x0F {
			break
		}
		sb.WriteByte(bcdDigits[v])
	}
	return sb.String()
}

// appendAddress encodes a TP address: length in semi-octets, TOA, value
// (TS 23.040 clause 9.1.2.5).
func appendAddress(dst []byte, a Address) ([]byte, error) {
	if a.TON == TONAlphanumeric {
		sept, err := EncodeGSM7(a.Number)
		if err != nil {
			return dst, fmt.Errorf("alphanumeric address: %w", err)
		}
		packed := Pack7(sept)
		if len(packed) > 10 {
			return dst, fmt.Errorf("%w: alphanumeric address %q needs %d octets, at most 10 fit", ErrTooLong, a.Number, len(packed))
		}
		// Address-Length counts the semi-octets actually used by the septets.
		dst = append(dst, byte((len(sept)*7+3)/4), a.toa())
		return append(dst, packed...), nil
	}
	if len(a.Number) > 20 {
		return dst, fmt.Errorf("%w: address has more than 20 digits", ErrTooLong)
	}
	dst = append(dst, byte(len(a.Number)), a.toa())
	return appendBCD(dst, a.Number)
}

func readAddress(r *reader, field string) (Address, error) {
	start := r.off
	n, err := r.byte(field)
	if err != nil {
		return Address{}, err
	}
	if n > 20 {
		return Address{}, r.failAt(field, start, fmt.Errorf("%w: address length %d semi-octets exceeds 20", ErrInvalid, n))
	}
	toa, err := r.byte(field)
	if err != nil {
		return Address{}, err
	}
	val, err := r.bytes(field, (int(n)+1)/2)
	if err != nil {
		return Address{}, err
	}
	a := Address{TON: TON(toa>>4) & 7, NPI: NPI(toa & 0x0F)}
	if a.TON == TONAlphanumeric {
		a.Number = DecodeGSM7(unpackSeptets(val, 0, int(n)*4/7))
		return a, nil
	}
	a.Number = decodeBCD(val, int(n))
	return a, nil
}

// appendSMSC encodes the SMSC field of the +CMGS/+CMGR form (TS 27.005
// clause 3.1, TS 24.011 RP address): length in octets including the TOA, or
// a single 00 when no SMSC is given.
func appendSMSC(dst []byte, a Address) ([]byte, error) {
	if a.IsZero() {
		return append(dst, 0), nil
	}
	// The SMSC field is always semi-octets, whatever its TON says.
	if len(a.Number) > 20 {
		return dst, fmt.Errorf("%w: SMSC address has more than 20 digits", ErrTooLong)
	}
	dst = append(dst, byte(1+(len(a.Number)+1)/2), a.toa())
	return appendBCD(dst, a.Number)
}

func readSMSC(r *reader) (Address, error) {
	start := r.off
	n, err := r.byte("SMSC")
	if err != nil {
		return Address{}, err
	}
	if n == 0 {
		return Address{}, nil
	}
	if n > 11 {
		return Address{}, r.failAt("SMSC", start, fmt.Errorf("%w: SMSC length %d octets exceeds 11", ErrInvalid, n))
	}
	b, err := r.bytes("SMSC", int(n))
	if err != nil {
		return Address{}, err
	}
	a := Address{TON: TON(b[0]>>4) & 7, NPI: NPI(b[0] & 0x0F)}
	a.Number = decodeBCD(b[1:], 2*(len(b)-1))
	return a, nil
}
