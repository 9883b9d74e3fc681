package pdu

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// UserData is TP-UDHI, TP-UDL and TP-UD exactly as on the wire. Copying it
// (with the DCS) from a decoded SMS-SUBMIT into an SMS-DELIVER reproduces
// the user data bit for bit, header, fill bits and septet count included.
type UserData struct {
	HeaderPresent bool   // TP-UDHI: Raw starts with a user data header
	Length        int    // TP-UDL: septets for GSM 7-bit (header included), octets otherwise
	Raw           []byte // TP-UD octets, header included
}

// Content is the decoded payload of one message or of a joined set.
type Content struct {
	Coding Coding
	Text   string // GSM 7-bit and UCS-2
	Data   []byte // 8-bit data (Text is empty)
}

// Header parses the user data header; nil when TP-UDHI is clear. Like
// the decoders, it keeps the elements before one that runs past the
// header.
func (u UserData) Header() (UDH, error) {
	if !u.HeaderPresent {
		return nil, nil
	}
	h, _, _, err := parseUDH(u.Raw, true)
	return h, err
}

// payload returns the user data after the header: for GSM 7-bit the
// unpacked septets, otherwise the octets. The header is returned too.
func (u UserData) payload(c Coding) (UDH, []byte, error) {
	var h UDH
	hdrLen := 0
	if u.HeaderPresent {
		var err error
		h, hdrLen, _, err = parseUDH(u.Raw, true)
		if err != nil {
			return nil, nil, err
		}
	}
	if c == CodingGSM7 {
		hs := septetsForHeader(hdrLen)
		if hs > u.Length {
			return nil, nil, fmt.Errorf("TP-UDL: %w: %d septets cannot hold a %d-octet header", ErrInvalid, u.Length, hdrLen)
		}
		if packedLen(u.Length) > len(u.Raw) {
			return nil, nil, fmt.Errorf("TP-UD: %w: %d septets need %d octets, have %d", ErrTruncated, u.Length, packedLen(u.Length), len(u.Raw))
		}
		return h, unpackSeptets(u.Raw, hs*7, u.Length-hs), nil
	}
	if hdrLen > u.Length || u.Length > len(u.Raw) {
		return nil, nil, fmt.Errorf("TP-UD: %w: %d octets announced, header %d, have %d", ErrTruncated, u.Length, hdrLen, len(u.Raw))
	}
	return h, u.Raw[hdrLen:u.Length], nil
}

// Decode returns the text (or 8-bit data) under the given DCS, applying
// the national language shift tables the header names. Errors wrap
// ErrCompressed, or ErrInvalid/ErrTruncated for user data that was built
// inconsistently (decoded user data is validated by the decoders).
func (u UserData) Decode(dcs DCS) (Content, error) {
	c, err := dcs.Coding()
	if err != nil {
		return Content{}, fmt.Errorf("TP-DCS: %w", err)
	}
	h, p, err := u.payload(c)
	if err != nil {
		return Content{}, err
	}
	return decodePayload(c, h, p), nil
}

func decodePayload(c Coding, h UDH, p []byte) Content {
	switch c {
	case CodingGSM7:
		lock, single := h.Languages()
		return Content{Coding: c, Text: charsetFor(lock, single).decode(p)}
	case CodingUCS2:
		return Content{Coding: c, Text: DecodeUCS2(p)}
	}
	return Content{Coding: c, Data: append([]byte(nil), p...)}
}

// DecodeUCS2 decodes UTF-16BE (UCS-2 with surrogate pairs). Unpaired
// surrogates and a dangling odd octet become U+FFFD rather than an error:
// real senders split pairs across parts and truncate.
func DecodeUCS2(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	s := string(utf16.Decode(u))
	if len(b)%2 == 1 {
		s += string(utf8.RuneError)
	}
	return s
}

// EncodeUCS2 encodes text as UTF-16BE; characters beyond the BMP become
// surrogate pairs.
func EncodeUCS2(text string) []byte {
	u := utf16.Encode([]rune(text))
	out := make([]byte, 2*len(u))
	for i, v := range u {
		out[2*i], out[2*i+1] = byte(v>>8), byte(v)
	}
	return out
}

// NewUserData builds user data from a header and a payload: septets (one
// per byte, unpacked) for GSM 7-bit, octets otherwise. It applies the fill
// bits after the header and the trailing-CR padding of TS 23.038 clause
// 6.1.2.1.1 (spare bits filled with CR, so a receiver reading by octets
// does not see an '@').
func NewUserData(c Coding, h UDH, payload []byte) (UserData, error) {
	hdr, err := h.Bytes()
	if err != nil {
		return UserData{}, err
	}
	u := UserData{HeaderPresent: len(h) > 0}
	if c == CodingGSM7 {
		hs := septetsForHeader(len(hdr))
		n := hs + len(payload)
		if n > 160 {
			return UserData{}, fmt.Errorf("%w: %d septets of user data, at most 160 fit", ErrTooLong, n)
		}
		raw := make([]byte, packedLen(n))
		copy(raw, hdr)
		packSeptets(raw, hs*7, payload)
		if n%8 == 7 {
			raw[len(raw)-1] |= '\r' << 1
		}
		u.Length, u.Raw = n, raw
		return u, nil
	}
	n := len(hdr) + len(payload)
	if n > maxUserDataOctet {
		return UserData{}, fmt.Errorf("%w: %d octets of user data, at most 140 fit", ErrTooLong, n)
	}
	u.Length = n
	u.Raw = append(hdr, payload...)
	return u, nil
}

func readUserData(r *reader, dcs DCS, udhi bool) (UserData, error) {
	start := r.off
	n, err := r.byte("TP-UDL")
	if err != nil {
		return UserData{}, err
	}
	u := UserData{HeaderPresent: udhi, Length: int(n)}
	c, cerr := dcs.Coding()
	octets := int(n)
	if cerr == nil && c == CodingGSM7 {
		if n > 160 {
			return u, r.failAt("TP-UDL", start, fmt.Errorf("%w: %d septets exceed 160", ErrInvalid, n))
		}
		octets = packedLen(int(n))
	} else if n > maxUserDataOctet {
		return u, r.failAt("TP-UDL", start, fmt.Errorf("%w: %d octets exceed 140", ErrInvalid, n))
	}
	if avail := r.remaining(); avail < octets {
		// User data a few octets short of TP-UDL: read what is there,
		// as other decoders do, unless the header itself is cut.
		raw := r.b[r.off:]
		if udhi && (avail == 0 || int(raw[0])+1 > avail) {
			_, err := r.bytes("TP-UD", octets)
			return u, err
		}
		length, unit := avail, "octets"
		if cerr == nil && c == CodingGSM7 {
			length, unit = min(avail*8/7, int(n)), "septets"
		}
		if udhi && udhUnits(int(raw[0])+1, c, cerr) > length {
			_, err := r.bytes("TP-UD", octets)
			return u, err
		}
		r.off = len(r.b)
		u.Raw = append([]byte(nil), raw...)
		u.Length = length
		r.defect("TP-UD: TP-UDL announces %d %s in %d octets, %d present; read %d %s", n, unit, octets, avail, u.Length, unit)
	} else {
		raw, _ := r.bytes("TP-UD", octets)
		u.Raw = append([]byte(nil), raw...)
	}
	if udhi {
		_, _, odd, err := parseUDH(u.Raw, true)
		if err != nil {
			var de *DecodeError
			if ok := asDecodeError(err, &de); ok {
				de.Offset += r.base + start + 1
				return u, de
			}
			return u, err
		}
		for _, o := range odd {
			r.defect("%s", o)
		}
		hdrLen := int(u.Raw[0]) + 1
		if cerr == nil && c == CodingGSM7 {
			if septetsForHeader(hdrLen) > u.Length {
				return u, r.failAt("TP-UDL", start, fmt.Errorf("%w: %d septets cannot hold a %d-octet header", ErrInvalid, u.Length, hdrLen))
			}
		} else if hdrLen > u.Length {
			return u, r.failAt("TP-UDL", start, fmt.Errorf("%w: %d octets cannot hold a %d-octet header", ErrInvalid, u.Length, hdrLen))
		}
	}
	return u, nil
}

// udhUnits is the room a header of hdrLen octets takes in TP-UDL units.
func udhUnits(hdrLen int, c Coding, cerr error) int {
	if cerr == nil && c == CodingGSM7 {
		return septetsForHeader(hdrLen)
	}
	return hdrLen
}
