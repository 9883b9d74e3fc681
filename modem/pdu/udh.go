package pdu

import (
	"encoding/binary"
	"fmt"
)

// Information element identifiers, TS 23.040 clause 9.2.3.24.
const (
	IEConcat8        byte = 0x00 // concatenated SM, 8-bit reference
	IEPorts8         byte = 0x04 // application port addressing, 8-bit
	IEPorts16        byte = 0x05 // application port addressing, 16-bit
	IEConcat16       byte = 0x08 // concatenated SM, 16-bit reference
	IESingleShift    byte = 0x24 // national language single shift
	IELockingShift   byte = 0x25 // national language locking shift
	maxUserDataOctet      = 140
)

// IE is one information element of a user data header, kept byte for byte.
type IE struct {
	ID   byte
	Data []byte
}

// UDH is a parsed user data header: its elements in wire order.
type UDH []IE

// Concat is a concatenation element (IE 0x00 or 0x08).
type Concat struct {
	Ref     uint16
	Total   int // parts in the set, 1-255
	Seq     int // this part, 1-based
	RefBits int // 8 or 16
}

// Ports is an application port addressing element (IE 0x04 or 0x05).
type Ports struct {
	Dst, Src int
	Bits     int // 8 or 16
}

// Len returns the encoded header length including the UDHL octet, or 0
// for an empty header.
func (h UDH) Len() int {
	if len(h) == 0 {
		return 0
	}
	n := 1
	for _, ie := range h {
		n += 2 + len(ie.Data)
	}
	return n
}

// appendTo encodes UDHL and the elements.
func (h UDH) appendTo(dst []byte) ([]byte, error) {
	if len(h) == 0 {
		return dst, nil
	}
	n := h.Len() - 1
	if n > maxUserDataOctet-1 {
		return dst, fmt.Errorf("%w: user data header of %d octets", ErrTooLong, n)
	}
	dst = append(dst, byte(n))
	for _, ie := range h {
		if len(ie.Data) > 255 {
			return dst, fmt.Errorf("%w: IE 0x%02X of %d octets", ErrTooLong, ie.ID, len(ie.Data))
		}
		dst = append(dst, ie.ID, byte(len(ie.Data)))
		dst = append(dst, ie.Data...)
	}
	return dst, nil
}

// Bytes returns the encoded header (UDHL first), or nil when empty.
func (h UDH) Bytes() ([]byte, error) { return h.appendTo(nil) }

// ParseUDH parses a user data header starting with its UDHL octet. It
// returns the header and its total length in octets (UDHL + 1). An
// element running past the header is an error here; the PDU decoders read
// such headers leniently (see Deliver.Defects).
func ParseUDH(b []byte) (UDH, int, error) {
	h, n, _, err := parseUDH(b, false)
	return h, n, err
}

// parseUDH is ParseUDH; lenient keeps the elements before one that runs
// past the header (or a stray last octet), skips the rest of the header
// and says so in odd.
func parseUDH(b []byte, lenient bool) (h UDH, size int, odd []string, err error) {
	if len(b) == 0 {
		return nil, 0, nil, &DecodeError{Field: "TP-UDHL", Offset: 0, Err: ErrTruncated}
	}
	n := int(b[0])
	if n > maxUserDataOctet-1 {
		return nil, 0, nil, &DecodeError{Field: "TP-UDHL", Offset: 0, Err: fmt.Errorf("%w: header of %d octets exceeds the 140-octet user data", ErrInvalid, n)}
	}
	if n+1 > len(b) {
		return nil, 0, nil, &DecodeError{Field: "TP-UDHL", Offset: 0, Err: fmt.Errorf("%w: header of %d octets, user data has %d", ErrTruncated, n, len(b)-1)}
	}
	for i := 1; i < n+1; {
		if i+2 > n+1 {
			if lenient {
				odd = append(odd, fmt.Sprintf("TP-UDH: stray octet 0x%02X at the end of the %d-octet header, ignored", b[i], n))
				break
			}
			return nil, 0, nil, &DecodeError{Field: "TP-UDH", Offset: i, Err: fmt.Errorf("%w: element header", ErrTruncated)}
		}
		id, l := b[i], int(b[i+1])
		if i+2+l > n+1 {
			if lenient {
				odd = append(odd, fmt.Sprintf("TP-UDH: element 0x%02X of %d octets runs past the %d-octet header, ignored", id, l, n))
				break
			}
			return nil, 0, nil, &DecodeError{Field: "TP-UDH", Offset: i, Err: fmt.Errorf("%w: IE 0x%02X of %d octets overruns the header", ErrTruncated, id, l)}
		}
		h = append(h, IE{ID: id, Data: append([]byte(nil), b[i+2:i+2+l]...)})
		i += 2 + l
	}
	return h, n + 1, odd, nil
}

// Concat returns the concatenation element and true when present and
// well-formed (a zero total or sequence out of range reads as absent, as
// TS 23.040 clause 9.2.3.24.1 tells receivers to ignore it).
func (h UDH) Concat() (Concat, bool) {
	for _, ie := range h {
		switch {
		case ie.ID == IEConcat8 && len(ie.Data) == 3:
			c := Concat{Ref: uint16(ie.Data[0]), Total: int(ie.Data[1]), Seq: int(ie.Data[2]), RefBits: 8}
			if c.Total > 0 && c.Seq > 0 && c.Seq <= c.Total {
				return c, true
			}
		case ie.ID == IEConcat16 && len(ie.Data) == 4:
			c := Concat{Ref: binary.BigEndian.Uint16(ie.Data), Total: int(ie.Data[2]), Seq: int(ie.Data[3]), RefBits: 16}
			if c.Total > 0 && c.Seq > 0 && c.Seq <= c.Total {
				return c, true
			}
		}
	}
	return Concat{}, false
}

// Ports returns the application port element and true when present.
func (h UDH) Ports() (Ports, bool) {
	for _, ie := range h {
		switch {
		case ie.ID == IEPorts8 && len(ie.Data) == 2:
			return Ports{Dst: int(ie.Data[0]), Src: int(ie.Data[1]), Bits: 8}, true
		case ie.ID == IEPorts16 && len(ie.Data) == 4:
			return Ports{Dst: int(binary.BigEndian.Uint16(ie.Data)), Src: int(binary.BigEndian.Uint16(ie.Data[2:])), Bits: 16}, true
		}
	}
	return Ports{}, false
}

// Languages returns the national language identifiers of the locking and
// single shift elements (0 = default GSM alphabet when absent).
func (h UDH) Languages() (locking, single Language) {
	for _, ie := range h {
		if len(ie.Data) != 1 {
			continue
		}
		switch ie.ID {
		case IELockingShift:
			locking = Language(ie.Data[0])
		case IESingleShift:
			single = Language(ie.Data[0])
		}
	}
	return locking, single
}

// ConcatIE returns the element for part seq of total with reference ref,
// 16-bit when ref16 is set.
func ConcatIE(ref uint16, total, seq int, ref16 bool) IE {
	if ref16 {
		return IE{ID: IEConcat16, Data: []byte{byte(ref >> 8), byte(ref), byte(total), byte(seq)}}
	}
	return IE{ID: IEConcat8, Data: []byte{byte(ref), byte(total), byte(seq)}}
}

// septetsForHeader is the number of septets a header of hdrLen octets
// (UDHL included) occupies in 7-bit user data, fill bits included
// (TS 23.040 clause 9.2.3.24).
func septetsForHeader(hdrLen int) int { return (hdrLen*8 + 6) / 7 }
