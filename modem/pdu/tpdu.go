package pdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MessageType is the kind of TPDU, from TP-MTI (TS 23.040 clause 9.2.3.1)
// read in the direction a modem sees it: MTI 0 is an SMS-DELIVER, 1 an
// SMS-SUBMIT, 2 an SMS-STATUS-REPORT.
type MessageType byte

// Message types.
const (
	TypeDeliver      MessageType = 0
	TypeSubmit       MessageType = 1
	TypeStatusReport MessageType = 2
)

func (t MessageType) String() string {
	switch t {
	case TypeDeliver:
		return "deliver"
	case TypeSubmit:
		return "submit"
	case TypeStatusReport:
		return "status-report"
	}
	return fmt.Sprintf("type(%d)", byte(t))
}

// Message is a decoded TPDU: *Submit, *Deliver or *StatusReport.
type Message interface {
	Type() MessageType
	// SMSCAddress is the SMSC field that preceded the TPDU (zero when
	// absent or when the TPDU was decoded bare).
	SMSCAddress() Address
	appendTPDU(dst []byte) ([]byte, error)
}

// Submit is an SMS-SUBMIT, TS 23.040 clause 9.2.2.2.
type Submit struct {
	SMSC                Address // SMSC field of the +CMGS form; zero for "00"
	RejectDuplicates    bool    // TP-RD
	ReplyPath           bool    // TP-RP
	StatusReportRequest bool    // TP-SRR
	MR                  byte    // TP-MR (the modem usually overwrites it)
	To                  Address // TP-DA
	PID                 byte    // TP-PID
	DCS                 DCS     // TP-DCS
	Validity            Validity
	UD                  UserData // TP-UDHI, TP-UDL, TP-UD
	// Defects lists what was odd in the PDU but decoded anyway, the way
	// other decoders (gammu, handsets) read it: time stamp octets with
	// non-decimal nibbles, user data shorter than TP-UDL, header elements
	// that run past the header, reserved TP-DCS values. Nil when clean.
	Defects []string
}

// Deliver is an SMS-DELIVER, TS 23.040 clause 9.2.2.1.
type Deliver struct {
	SMSC                   Address
	MoreMessagesToSend     bool // TP-MMS = 0: the SC has more messages waiting
	LoopPrevention         bool // TP-LP
	StatusReportIndication bool // TP-SRI
	ReplyPath              bool // TP-RP
	From                   Address
	PID                    byte
	DCS                    DCS
	SCTS                   time.Time // TP-SCTS with its zone offset; zero when it is no date
	UD                     UserData
	// Defects lists what was odd in the PDU but decoded anyway, the way
	// other decoders (gammu, handsets) read it: time stamp octets with
	// non-decimal nibbles, user data shorter than TP-UDL, header elements
	// that run past the header, reserved TP-DCS values. Nil when clean.
	Defects []string
}

// StatusReport is an SMS-STATUS-REPORT, TS 23.040 clause 9.2.2.3.
type StatusReport struct {
	SMSC               Address
	MoreMessagesToSend bool    // TP-MMS = 0
	LoopPrevention     bool    // TP-LP
	Qualifier          bool    // TP-SRQ: reports an SMS-COMMAND (true) or an SMS-SUBMIT
	MR                 byte    // TP-MR of the submitted message
	Recipient          Address // TP-RA
	SCTS               time.Time
	DischargeTime      time.Time // TP-DT
	Status             Status    // TP-ST
	// PI is TP-PI (0 when absent); it says which of PID, DCS and UD follow.
	PI  byte
	PID byte
	DCS DCS
	UD  UserData
	// Defects lists what was odd in the PDU but decoded anyway, the way
	// other decoders (gammu, handsets) read it: time stamp octets with
	// non-decimal nibbles, user data shorter than TP-UDL, header elements
	// that run past the header, reserved TP-DCS values. Nil when clean.
	Defects []string
}

// Type implements Message.
func (*Submit) Type() MessageType { return TypeSubmit }

// Type implements Message.
func (*Deliver) Type() MessageType { return TypeDeliver }

// Type implements Message.
func (*StatusReport) Type() MessageType { return TypeStatusReport }

// SMSCAddress implements Message.
func (s *Submit) SMSCAddress() Address { return s.SMSC }

// SMSCAddress implements Message.
func (d *Deliver) SMSCAddress() Address { return d.SMSC }

// SMSCAddress implements Message.
func (s *StatusReport) SMSCAddress() Address { return s.SMSC }

// Content decodes the user data of this one message.
func (s *Submit) Content() (Content, error) { return s.UD.Decode(s.DCS) }

// Content decodes the user data of this one message.
func (d *Deliver) Content() (Content, error) { return d.UD.Decode(d.DCS) }

// Content decodes the optional user data of the report (empty when absent).
func (s *StatusReport) Content() (Content, error) {
	if s.PI&0x04 == 0 {
		return Content{Coding: CodingGSM7}, nil
	}
	return s.UD.Decode(s.DCS)
}

func (s *Submit) appendTPDU(dst []byte) ([]byte, error) {
	fo := byte(TypeSubmit) | byte(s.Validity.Format&3)<<3
	if s.RejectDuplicates {
		fo |= 0x04
	}
	if s.StatusReportRequest {
		fo |= 0x20
	}
	if s.UD.HeaderPresent {
		fo |= 0x40
	}
	if s.ReplyPath {
		fo |= 0x80
	}
	dst = append(dst, fo, s.MR)
	dst, err := appendAddress(dst, s.To)
	if err != nil {
		return dst, fmt.Errorf("TP-DA: %w", err)
	}
	dst = append(dst, s.PID, byte(s.DCS))
	if dst, err = s.Validity.appendTo(dst); err != nil {
		return dst, fmt.Errorf("TP-VP: %w", err)
	}
	return appendUserData(dst, s.DCS, s.UD)
}

func (d *Deliver) appendTPDU(dst []byte) ([]byte, error) {
	fo := byte(TypeDeliver)
	if !d.MoreMessagesToSend {
		fo |= 0x04
	}
	if d.LoopPrevention {
		fo |= 0x08
	}
	if d.StatusReportIndication {
		fo |= 0x20
	}
	if d.UD.HeaderPresent {
		fo |= 0x40
	}
	if d.ReplyPath {
		fo |= 0x80
	}
	dst = append(dst, fo)
	dst, err := appendAddress(dst, d.From)
	if err != nil {
		return dst, fmt.Errorf("TP-OA: %w", err)
	}
	dst = append(dst, d.PID, byte(d.DCS))
	dst = appendTimestamp(dst, timeOrEpoch(d.SCTS))
	return appendUserData(dst, d.DCS, d.UD)
}

func (s *StatusReport) appendTPDU(dst []byte) ([]byte, error) {
	fo := byte(TypeStatusReport)
	if !s.MoreMessagesToSend {
		fo |= 0x04
	}
	if s.LoopPrevention {
		fo |= 0x08
	}
	if s.Qualifier {
		fo |= 0x20
	}
	if s.PI&0x04 != 0 && s.UD.HeaderPresent {
		fo |= 0x40
	}
	dst = append(dst, fo, s.MR)
	dst, err := appendAddress(dst, s.Recipient)
	if err != nil {
		return dst, fmt.Errorf("TP-RA: %w", err)
	}
	dst = appendTimestamp(dst, timeOrEpoch(s.SCTS))
	dst = appendTimestamp(dst, timeOrEpoch(s.DischargeTime))
	dst = append(dst, byte(s.Status))
	if s.PI == 0 {
		return dst, nil
	}
	pi := s.PI & 0x07
	dst = append(dst, pi)
	if pi&0x01 != 0 {
		dst = append(dst, s.PID)
	}
	if pi&0x02 != 0 {
		dst = append(dst, byte(s.DCS))
	}
	if pi&0x04 != 0 {
		return appendUserData(dst, s.DCS, s.UD)
	}
	return dst, nil
}

// timeOrEpoch keeps a zero time from encoding as year 1 ("01" would be
// read back as 2001); a zero timestamp encodes as 2000-01-01 UTC.
func timeOrEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t
}

func appendUserData(dst []byte, dcs DCS, u UserData) ([]byte, error) {
	if u.Length < 0 || u.Length > 255 {
		return dst, fmt.Errorf("%w: TP-UDL %d", ErrInvalid, u.Length)
	}
	want := u.Length
	if c, err := dcs.Coding(); err == nil && c == CodingGSM7 {
		if u.Length > 160 {
			return dst, fmt.Errorf("%w: TP-UDL %d septets exceeds 160", ErrTooLong, u.Length)
		}
		want = packedLen(u.Length)
	} else if u.Length > maxUserDataOctet {
		return dst, fmt.Errorf("%w: TP-UDL %d octets exceeds 140", ErrTooLong, u.Length)
	}
	if len(u.Raw) < want {
		return dst, fmt.Errorf("%w: TP-UDL %d needs %d octets of user data, have %d", ErrInvalid, u.Length, want, len(u.Raw))
	}
	dst = append(dst, byte(u.Length))
	return append(dst, u.Raw[:want]...), nil
}

// EncodeTPDU returns the TPDU of m without the SMSC field.
func EncodeTPDU(m Message) ([]byte, error) {
	return m.appendTPDU(make([]byte, 0, 176))
}

// Encode returns the PDU as AT+CMGS and +CMT carry it: the SMSC field of
// m ("00" when zero) followed by the TPDU, and the TPDU length that goes
// into AT+CMGS=<length>.
func Encode(m Message) (pdu []byte, tpduLen int, err error) {
	pdu, err = appendSMSC(make([]byte, 0, 188), m.SMSCAddress())
	if err != nil {
		return nil, 0, fmt.Errorf("SMSC: %w", err)
	}
	n := len(pdu)
	pdu, err = m.appendTPDU(pdu)
	if err != nil {
		return nil, 0, err
	}
	return pdu, len(pdu) - n, nil
}

// EncodeHex is Encode with the PDU in upper-case hex.
func EncodeHex(m Message) (string, int, error) {
	b, n, err := Encode(m)
	if err != nil {
		return "", 0, err
	}
	return strings.ToUpper(hex.EncodeToString(b)), n, nil
}

// Decode reads a PDU as +CMGR, +CMGL, +CMT and +CDS print it: the SMSC
// field first, then the TPDU. Octets after the TPDU (some modems pad with
// FF) are ignored.
func Decode(pdu []byte) (Message, error) {
	var defects []string
	r := &reader{b: pdu, defects: &defects}
	smsc, err := readSMSC(r)
	if err != nil {
		return nil, err
	}
	m, err := decodeTPDU(&reader{b: pdu[r.off:], base: r.off, defects: &defects})
	if err != nil {
		return nil, err
	}
	switch v := m.(type) {
	case *Submit:
		v.SMSC, v.Defects = smsc, defects
	case *Deliver:
		v.SMSC, v.Defects = smsc, defects
	case *StatusReport:
		v.SMSC, v.Defects = smsc, defects
	}
	return m, nil
}

// DecodeTPDU reads a bare TPDU (no SMSC field).
func DecodeTPDU(tpdu []byte) (Message, error) {
	var defects []string
	m, err := decodeTPDU(&reader{b: tpdu, defects: &defects})
	if err != nil {
		return nil, err
	}
	switch v := m.(type) {
	case *Submit:
		v.Defects = defects
	case *Deliver:
		v.Defects = defects
	case *StatusReport:
		v.Defects = defects
	}
	return m, nil
}

// DecodeHex is Decode for hex text; case and surrounding white space do not
// matter.
func DecodeHex(s string) (Message, error) {
	b, err := parseHex(s)
	if err != nil {
		return nil, err
	}
	return Decode(b)
}

// DecodeHexTPDU is DecodeTPDU for hex text.
func DecodeHexTPDU(s string) (Message, error) {
	b, err := parseHex(s)
	if err != nil {
		return nil, err
	}
	return DecodeTPDU(b)
}

func parseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		var ie hex.InvalidByteError
		off := len(s) / 2
		if errors.As(err, &ie) {
			off = strings.IndexByte(s, byte(ie)) / 2
		}
		return nil, &DecodeError{Field: "hex", Offset: off, Err: fmt.Errorf("%w: %v", ErrInvalid, err)}
	}
	return b, nil
}

func decodeTPDU(r *reader) (Message, error) {
	fo, err := r.byte("TP-MTI")
	if err != nil {
		return nil, err
	}
	switch fo & 3 {
	case byte(TypeSubmit):
		return decodeSubmit(r, fo)
	case byte(TypeStatusReport):
		return decodeStatusReport(r, fo)
	}
	// MTI 0, and the reserved MTI 3 which TS 23.040 clause 9.2.3.1 tells
	// a receiver to process as an SMS-DELIVER.
	return decodeDeliver(r, fo)
}

// readTime reads TP-SCTS or TP-DT leniently, as gammu does: a nibble
// above 9 counts with its value (0xA0 seconds is 10), and a date that
// still makes no sense leaves the time zero. Both are noted as defects;
// only a missing octet is an error.
func readTime(r *reader, field string) (time.Time, error) {
	b, err := r.bytes(field, 7)
	if err != nil {
		return time.Time{}, err
	}
	t, odd := decodeTimestampLenient(b)
	for _, o := range odd {
		r.defect("%s: %s", field, o)
	}
	return t, nil
}

func decodeSubmit(r *reader, fo byte) (*Submit, error) {
	s := &Submit{
		RejectDuplicates:    fo&0x04 != 0,
		StatusReportRequest: fo&0x20 != 0,
		ReplyPath:           fo&0x80 != 0,
	}
	var err error
	if s.MR, err = r.byte("TP-MR"); err != nil {
		return nil, err
	}
	if s.To, err = readAddress(r, "TP-DA"); err != nil {
		return nil, err
	}
	if s.PID, err = r.byte("TP-PID"); err != nil {
		return nil, err
	}
	dcs, err := r.byte("TP-DCS")
	if err != nil {
		return nil, err
	}
	s.DCS = DCS(dcs)
	noteDCS(r, s.DCS)
	if s.Validity, err = readValidity(r, ValidityFormat(fo>>3&3)); err != nil {
		return nil, err
	}
	if s.UD, err = readUserData(r, s.DCS, fo&0x40 != 0); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeDeliver(r *reader, fo byte) (*Deliver, error) {
	d := &Deliver{
		MoreMessagesToSend:     fo&0x04 == 0,
		LoopPrevention:         fo&0x08 != 0,
		StatusReportIndication: fo&0x20 != 0,
		ReplyPath:              fo&0x80 != 0,
	}
	var err error
	if d.From, err = readAddress(r, "TP-OA"); err != nil {
		return nil, err
	}
	if d.PID, err = r.byte("TP-PID"); err != nil {
		return nil, err
	}
	dcs, err := r.byte("TP-DCS")
	if err != nil {
		return nil, err
	}
	d.DCS = DCS(dcs)
	noteDCS(r, d.DCS)
	if d.SCTS, err = readTime(r, "TP-SCTS"); err != nil {
		return nil, err
	}
	if d.UD, err = readUserData(r, d.DCS, fo&0x40 != 0); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeStatusReport(r *reader, fo byte) (*StatusReport, error) {
	s := &StatusReport{
		MoreMessagesToSend: fo&0x04 == 0,
		LoopPrevention:     fo&0x08 != 0,
		Qualifier:          fo&0x20 != 0,
	}
	var err error
	if s.MR, err = r.byte("TP-MR"); err != nil {
		return nil, err
	}
	if s.Recipient, err = readAddress(r, "TP-RA"); err != nil {
		return nil, err
	}
	if s.SCTS, err = readTime(r, "TP-SCTS"); err != nil {
		return nil, err
	}
	if s.DischargeTime, err = readTime(r, "TP-DT"); err != nil {
		return nil, err
	}
	st, err := r.byte("TP-ST")
	if err != nil {
		return nil, err
	}
	s.Status = Status(st)
	if r.remaining() == 0 {
		return s, nil
	}
	// TP-PI is optional. Modems pad stored reports with FF (Wavecom, gammu
	// at-sms dumps); a PI with reserved bits set is taken as padding, as
	// TS 23.040 clause 9.2.3.27 lets a receiver ignore it.
	pi := r.b[r.off]
	if pi&0x78 != 0 {
		return s, nil
	}
	r.off++
	for ext := pi; ext&0x80 != 0; {
		if ext, err = r.byte("TP-PI"); err != nil {
			return nil, err
		}
	}
	s.PI = pi & 0x07
	if s.PI&0x01 != 0 {
		if s.PID, err = r.byte("TP-PID"); err != nil {
			return nil, err
		}
	}
	if s.PI&0x02 != 0 {
		dcs, err := r.byte("TP-DCS")
		if err != nil {
			return nil, err
		}
		s.DCS = DCS(dcs)
		noteDCS(r, s.DCS)
	}
	if s.PI&0x04 != 0 {
		if s.UD, err = readUserData(r, s.DCS, fo&0x40 != 0); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func asDecodeError(err error, target **DecodeError) bool { return errors.As(err, target) }
