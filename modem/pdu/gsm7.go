package pdu

import (
	"fmt"
	"unicode/utf8"
)

// GSM 7-bit default alphabet, 3GPP TS 23.038 clause 6.2.1. Index = septet.
// 0x1B is the escape to the extension table and has no character of its own.
var gsm7Default = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsm7DefaultExt is the default extension table (TS 23.038 clause 6.2.1.1):
// the character that follows an escape septet.
var gsm7DefaultExt = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

const septetEscape = 0x1B

// charset is one locking-shift table plus one single-shift (extension)
// table, the pair a receiver uses to read GSM 7-bit text.
type charset struct {
	lock   *[128]rune
	single map[byte]rune
	// reverse maps, built once
	encLock   map[rune]byte
	encSingle map[rune]byte
	// ascii caches the encoding of runes below 0x80 (most texts):
	// 0 none, 0x100|septet from the locking table, 0x200|septet escaped.
	ascii [128]uint16
}

func newCharset(lock *[128]rune, single map[byte]rune) *charset {
	c := &charset{lock: lock, single: single, encLock: map[rune]byte{}, encSingle: map[rune]byte{}}
	for i, r := range lock {
		if i == septetEscape || r == 0 {
			continue
		}
		if _, dup := c.encLock[r]; !dup {
			c.encLock[r] = byte(i)
		}
	}
	for s, r := range single {
		if _, inLock := c.encLock[r]; inLock {
			continue
		}
		if old, dup := c.encSingle[r]; !dup || s < old {
			c.encSingle[r] = s
		}
	}
	for r := rune(0); r < 0x80; r++ {
		if s, ok := c.encLock[r]; ok {
			c.ascii[r] = 0x100 | uint16(s)
		} else if s, ok := c.encSingle[r]; ok {
			c.ascii[r] = 0x200 | uint16(s)
		}
	}
	return c
}

var defaultCharset = newCharset(&gsm7Default, gsm7DefaultExt)

// septetsFor returns how many septets r takes in c: 1, 2 (escape pair) or 0
// when c cannot carry it.
func (c *charset) septetsFor(r rune) int {
	if r >= 0 && r < 0x80 {
		return int(c.ascii[r] >> 8)
	}
	if _, ok := c.encLock[r]; ok {
		return 1
	}
	if _, ok := c.encSingle[r]; ok {
		return 2
	}
	return 0
}

// appendRune appends the septets for r; ok is false when c cannot carry r.
func (c *charset) appendRune(dst []byte, r rune) ([]byte, bool) {
	if r >= 0 && r < 0x80 {
		switch v := c.ascii[r]; v >> 8 {
		case 1:
			return append(dst, byte(v)), true
		case 2:
			return append(dst, septetEscape, byte(v)), true
		}
		return dst, false
	}
	if s, ok := c.encLock[r]; ok {
		return append(dst, s), true
	}
	if s, ok := c.encSingle[r]; ok {
		return append(dst, septetEscape, s), true
	}
	return dst, false
}

// decode turns unpacked septets into text. Per TS 23.038 clause 6.2.1.1 an
// escape followed by a septet without an extension character is shown as
// the locking-table character; a dangling escape at the end is dropped.
func (c *charset) decode(septets []byte) string {
	buf := make([]byte, 0, len(septets)+len(septets)/4)
	for i := 0; i < len(septets); i++ {
		s := septets[i] & 0x7F
		if s == septetEscape {
			if i+1 >= len(septets) {
				break
			}
			i++
			n := septets[i] & 0x7F
			if r, ok := c.single[n]; ok {
				buf = utf8.AppendRune(buf, r)
				continue
			}
			if n == septetEscape {
				// Reserved for a further extension table: show a space.
				buf = append(buf, ' ')
				continue
			}
			s = n
		}
		buf = utf8.AppendRune(buf, c.lock[s])
	}
	return string(buf)
}

// encodeGSM7 converts text into septets (one per byte) in charset c.
func (c *charset) encode(text string) ([]byte, error) {
	out := make([]byte, 0, len(text))
	for i, r := range text {
		var ok bool
		out, ok = c.appendRune(out, r)
		if !ok {
			return nil, fmt.Errorf("%w: %q at byte %d is not in the GSM 7-bit alphabet", ErrNotEncodable, r, i)
		}
	}
	return out, nil
}

// packSeptets writes septets into dst starting at bit offset bitOff (LSB
// first, TS 23.038 clause 6.1.2.1). dst must be long enough.
func packSeptets(dst []byte, bitOff int, septets []byte) {
	for _, s := range septets {
		v := uint16(s&0x7F) << (bitOff % 8)
		i := bitOff / 8
		dst[i] |= byte(v)
		if v>>8 != 0 {
			dst[i+1] |= byte(v >> 8)
		}
		bitOff += 7
	}
}

// unpackSeptets reads n septets from src starting at bit offset bitOff.
// The caller guarantees src holds them.
func unpackSeptets(src []byte, bitOff, n int) []byte {
	out := make([]byte, n)
	for k := 0; k < n; k++ {
		i := bitOff / 8
		sh := bitOff % 8
		v := uint16(src[i])
		if i+1 < len(src) {
			v |= uint16(src[i+1]) << 8
		}
		out[k] = byte(v>>sh) & 0x7F
		bitOff += 7
	}
	return out
}

// packedLen is the number of octets that hold n septets after fill bits and
// an n-octet header: ceil(bits/8).
func packedLen(septets int) int { return (septets*7 + 7) / 8 }

// Pack7 packs GSM 7-bit septets (one per byte, low seven bits used) into
// octets with no header, TS 23.038 clause 6.1.2.1.1.
func Pack7(septets []byte) []byte {
	out := make([]byte, packedLen(len(septets)))
	packSeptets(out, 0, septets)
	return out
}

// Unpack7 unpacks n septets from packed octets; it returns ErrTruncated when
// packed is too short.
func Unpack7(packed []byte, n int) ([]byte, error) {
	if n < 0 || packedLen(n) > len(packed) {
		return nil, fmt.Errorf("%w: %d septets need %d octets, have %d", ErrTruncated, n, packedLen(n), len(packed))
	}
	return unpackSeptets(packed, 0, n), nil
}

// EncodeGSM7 converts text to unpacked septets of the GSM 7-bit default
// alphabet and extension table (escape pairs for the latter).
func EncodeGSM7(text string) ([]byte, error) { return defaultCharset.encode(text) }

// DecodeGSM7 converts unpacked septets of the default alphabet to text.
func DecodeGSM7(septets []byte) string { return defaultCharset.decode(septets) }

// IsGSM7 reports whether every character of text is in the GSM 7-bit
// default alphabet or its extension table.
func IsGSM7(text string) bool {
	for _, r := range text {
		if defaultCharset.septetsFor(r) == 0 {
			return false
		}
	}
	return true
}
