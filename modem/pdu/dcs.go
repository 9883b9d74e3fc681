package pdu

import "fmt"

// Coding is the character set of the user data. The zero value means "not
// chosen" (auto) in options; decoded messages always carry one of the three
// named codings.
type Coding byte

// Codings, TS 23.038 clause 4.
const (
	CodingAuto Coding = iota // options only: pick the most compact coding
	CodingGSM7               // GSM 7-bit default alphabet (with extension and language tables)
	Coding8Bit               // 8-bit data
	CodingUCS2               // UCS-2 / UTF-16BE
)

func (c Coding) String() string {
	switch c {
	case CodingAuto:
		return "auto"
	case CodingGSM7:
		return "gsm7"
	case Coding8Bit:
		return "8bit"
	case CodingUCS2:
		return "ucs2"
	}
	return fmt.Sprintf("coding(%d)", byte(c))
}

// ParseCoding reads "auto" (or ""), "gsm7", "ucs2" or "8bit".
func ParseCoding(s string) (Coding, error) {
	switch s {
	case "", "auto":
		return CodingAuto, nil
	case "gsm7", "7bit":
		return CodingGSM7, nil
	case "ucs2":
		return CodingUCS2, nil
	case "8bit":
		return Coding8Bit, nil
	}
	return CodingAuto, fmt.Errorf("%w: coding %q (want auto, gsm7, ucs2 or 8bit)", ErrInvalid, s)
}

// DCS is the TP-Data-Coding-Scheme octet, TS 23.038 clause 4. Its methods
// interpret every coding group; the octet itself is kept as received.
type DCS byte

// NewDCS returns the general-data-coding DCS for coding c with message
// class class (0-3), or no class when class is negative.
func NewDCS(c Coding, class int) DCS {
	var d DCS
	switch c {
	case Coding8Bit:
		d = 0x04
	case CodingUCS2:
		d = 0x08
	}
	if class >= 0 && class <= 3 {
		d |= 0x10 | DCS(class)
	}
	return d
}

// Group returns the coding group (the high nibble) in words:
// "general", "auto-deletion", "reserved", "mwi-discard", "mwi-store",
// "mwi-store-ucs2", "data-class".
func (d DCS) Group() string {
	switch d >> 4 {
	case 0, 1, 2, 3:
		return "general"
	case 4, 5, 6, 7:
		return "auto-deletion"
	case 0xC:
		return "mwi-discard"
	case 0xD:
		return "mwi-store"
	case 0xE:
		return "mwi-store-ucs2"
	case 0xF:
		return "data-class"
	}
	return "reserved"
}

// Compressed reports whether the DCS announces TS 23.042 compression.
func (d DCS) Compressed() bool { return d&0x80 == 0 && d&0x20 != 0 }

// Coding returns the alphabet. Reserved alphabets and reserved groups read
// as GSM 7-bit, as TS 23.038 clause 4 requires of receivers. Compressed
// user data is an error wrapping ErrCompressed.
func (d DCS) Coding() (Coding, error) {
	switch {
	case d&0x80 == 0: // general data coding and automatic deletion groups
		if d.Compressed() {
			return CodingAuto, fmt.Errorf("DCS 0x%02X: %w", byte(d), ErrCompressed)
		}
		switch (d >> 2) & 3 {
		case 1:
			return Coding8Bit, nil
		case 2:
			return CodingUCS2, nil
		}
		return CodingGSM7, nil
	case d>>4 == 0xE:
		return CodingUCS2, nil
	case d>>4 == 0xF:
		if d&0x04 != 0 {
			return Coding8Bit, nil
		}
		return CodingGSM7, nil
	}
	return CodingGSM7, nil
}

// Class returns the message class 0-3 and true, or false when the DCS
// carries none. Class 0 is a "flash" message shown immediately.
func (d DCS) Class() (int, bool) {
	switch {
	case d&0x80 == 0:
		if d&0x10 == 0 {
			return 0, false
		}
		return int(d & 3), true
	case d>>4 == 0xF:
		return int(d & 3), true
	}
	return 0, false
}

// MessageWaiting describes a message-waiting indication group DCS.
type MessageWaiting struct {
	Store  bool // the message is stored (groups 1101, 1110) or may be discarded (1100)
	Active bool // indication set (true) or cleared
	Kind   int  // 0 voicemail, 1 fax, 2 e-mail, 3 other
}

// MessageWaiting returns the indication of the MWI groups (TS 23.038
// clause 4, 1100-1110) and true, or false for other groups.
func (d DCS) MessageWaiting() (MessageWaiting, bool) {
	switch d >> 4 {
	case 0xC, 0xD, 0xE:
		return MessageWaiting{Store: d>>4 != 0xC, Active: d&0x08 != 0, Kind: int(d & 3)}, true
	}
	return MessageWaiting{}, false
}
