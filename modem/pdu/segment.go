package pdu

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// SegmentOptions choose how a text is cut into parts.
type SegmentOptions struct {
	// Coding forces a coding; CodingAuto picks GSM 7-bit when every
	// character fits (with the opted-in language tables), UCS-2 otherwise.
	// Coding8Bit sends the UTF-8 octets of the text as 8-bit data.
	Coding Coding
	// Languages opts in to national language shift tables (TS 23.038 Annex
	// A): a text that needs them is sent in 7-bit with locking/single shift
	// IEs when that takes fewer parts than UCS-2. Only receivers that know
	// the tables show such texts right, hence opt-in.
	Languages []Language
	// Ref is the concatenation reference of a multi-part text; Ref16
	// selects the 16-bit reference IE (0x08) over the 8-bit one (0x00).
	Ref   uint16
	Ref16 bool
	// Flash sends message class 0 (shown at once, not stored); Class, when
	// set, wins.
	Flash bool
	// Class is the message class put in TP-DCS (TS 23.038 clause 4).
	Class MessageClass
	// Ports adds a 16-bit application port addressing element (IE 0x05)
	// to every part, as receivers expect of port-addressed data (TS 23.040
	// clause 9.2.3.24.4); its Bits are ignored.
	Ports *Ports
	// Header holds further elements put in every part after the
	// concatenation and port elements, byte for byte (a client's raw
	// UDH). A concatenation element among them means the caller cuts the
	// message itself: it must then fit in one part, and none is added.
	Header UDH
}

// MessageClass is a TS 23.038 message class request; the zero value asks
// for none. ClassOf builds one from the class number.
type MessageClass byte

// ClassNone sends no message class.
const ClassNone MessageClass = 0

// ClassOf returns the request for class n (0-3); any other n is ClassNone.
func ClassOf(n int) MessageClass {
	if n < 0 || n > 3 {
		return ClassNone
	}
	return MessageClass(n + 1)
}

// Number returns the class number (0-3) and true, or false for ClassNone.
func (c MessageClass) Number() (int, bool) {
	if c == ClassNone || c > 4 {
		return 0, false
	}
	return int(c) - 1, true
}

// Segment is one part of a segmented text: what goes into TP-DCS and the
// user data fields of one TPDU.
type Segment struct {
	DCS  DCS
	UD   UserData
	Text string // the characters this part carries (for 8-bit, the octets as a string)
}

// Count summarises the segmentation of a text.
type Count struct {
	Parts   int
	Coding  Coding
	Locking Language // national language tables used (0 = default)
	Single  Language
	// Units is the length of the text in septets (GSM 7-bit, escape pairs
	// counting two), UTF-16 code units (UCS-2) or octets (8-bit).
	Units int
	// PerPart is the capacity of one part in the same units: 160, 153,
	// 70, 67, 140, 134, less any language shift IEs.
	PerPart int
}

// plan is a text encoded in one coding, character by character: enc holds
// the encoded form of every character back to back (septets, UTF-16BE
// octets, or octets), encEnd[i] and textEnd[i] where character i ends in
// enc and in the text.
type plan struct {
	coding       Coding
	lock, single Language
	text         string
	enc          []byte
	encEnd       []int
	textEnd      []int
	ref16        bool // 16-bit concatenation reference (one header octet more)
	// extra: elements of every part besides concatenation and language
	// shifts (ports, the caller's header); selfCut when the caller's header
	// already carries a concatenation element.
	extra   UDH
	selfCut bool
}

// baseIEs are the elements every part carries, concatenation aside.
func (p *plan) baseIEs() UDH {
	return append(append(UDH(nil), p.extra...), p.langIEs()...)
}

func (p *plan) langIEs() UDH {
	var h UDH
	if p.lock != 0 {
		h = append(h, IE{ID: IELockingShift, Data: []byte{byte(p.lock)}})
	}
	if p.single != 0 {
		h = append(h, IE{ID: IESingleShift, Data: []byte{byte(p.single)}})
	}
	return h
}

// capacity returns units of payload a part holds given its header.
func (p *plan) capacity(h UDH) int {
	if p.coding == CodingGSM7 {
		return 160 - septetsForHeader(h.Len())
	}
	return maxUserDataOctet - h.Len()
}

func (p *plan) units() int { return len(p.enc) }

func (p *plan) chars() int { return len(p.encEnd) }

// encStart is where character i starts in enc; textStart likewise.
func (p *plan) encStart(i int) int {
	if i == 0 {
		return 0
	}
	return p.encEnd[i-1]
}

func (p *plan) textStart(i int) int {
	if i == 0 {
		return 0
	}
	return p.textEnd[i-1]
}

// span returns the units characters from..to-1 take.
func (p *plan) span(from, to int) int {
	if to <= from {
		return 0
	}
	return p.encEnd[to-1] - p.encStart(from)
}

// cut splits the characters into ranges of at most capacity units each; a
// character (escape pair, surrogate pair) is never split.
func (p *plan) cut(capacity int) [][2]int {
	var out [][2]int
	start := 0
	for i := range p.encEnd {
		if p.encEnd[i]-p.encStart(start) > capacity {
			out = append(out, [2]int{start, i})
			start = i
		}
	}
	return append(out, [2]int{start, p.chars()})
}

// needsExtraCR reports whether a 7-bit part ending on an octet boundary
// ends with a CR, which TS 23.038 clause 6.1.2.1.1 wants doubled.
func (p *plan) needsExtraCR(h UDH, from, to int) bool {
	if p.coding != CodingGSM7 || to == from {
		return false
	}
	if p.span(to-1, to) != 1 || p.enc[p.encEnd[to-1]-1] != '\r' {
		return false
	}
	return (septetsForHeader(h.Len())+p.span(from, to))%8 == 0
}

// ranges returns the part ranges and whether they need concatenation IEs.
func (p *plan) ranges() ([][2]int, bool) {
	base := p.baseIEs()
	single := p.capacity(base)
	if p.selfCut {
		return [][2]int{{0, p.chars()}}, false
	}
	if p.units() <= single {
		if !p.needsExtraCR(base, 0, p.chars()) || p.units() < single {
			return [][2]int{{0, p.chars()}}, false
		}
	}
	hdr := append(append(UDH(nil), ConcatIE(0, 1, 1, p.ref16)), base...)
	multi := p.capacity(hdr)
	rs := p.cut(multi)
	last := rs[len(rs)-1]
	if p.needsExtraCR(hdr, last[0], last[1]) && p.span(last[0], last[1]) >= multi {
		// No room for the second CR: the final CR opens a part of its own.
		rs[len(rs)-1][1]--
		rs = append(rs, [2]int{last[1] - 1, last[1]})
	}
	return rs, true
}

func (p *plan) header(ref uint16, ref16 bool, total, seq int, concat bool) UDH {
	var h UDH
	if concat {
		h = append(h, ConcatIE(ref, total, seq, ref16))
	}
	return append(h, p.baseIEs()...)
}

func newPlan(text string, c Coding, lock, single Language) (*plan, error) {
	p := &plan{coding: c, lock: lock, single: single, text: text}
	n := len(text)
	if c == CodingUCS2 {
		n *= 2
	}
	p.enc = make([]byte, 0, n)
	switch c {
	case CodingGSM7:
		cs := charsetFor(lock, single)
		p.encEnd = make([]int, 0, len(text))
		p.textEnd = make([]int, 0, len(text))
		for i, r := range text {
			var ok bool
			if p.enc, ok = cs.appendRune(p.enc, r); !ok {
				return nil, fmt.Errorf("%w: %q at byte %d is not in the GSM 7-bit alphabet", ErrNotEncodable, r, i)
			}
			p.encEnd = append(p.encEnd, len(p.enc))
			p.textEnd = append(p.textEnd, i+utf8.RuneLen(r))
		}
	case CodingUCS2:
		p.encEnd = make([]int, 0, len(text))
		p.textEnd = make([]int, 0, len(text))
		for i, r := range text {
			w := utf8.RuneLen(r)
			if w < 0 { // invalid UTF-8 reads as U+FFFD, one byte wide
				w = 1
			} else if r == utf8.RuneError && !strings.HasPrefix(text[i:], "\uFFFD") {
				w = 1
			}
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				p.enc = append(p.enc, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
			} else {
				p.enc = append(p.enc, byte(r>>8), byte(r))
			}
			p.encEnd = append(p.encEnd, len(p.enc))
			p.textEnd = append(p.textEnd, i+w)
		}
	case Coding8Bit:
		p.enc = append(p.enc, text...)
		p.encEnd = make([]int, len(text))
		for i := range p.encEnd {
			p.encEnd[i] = i + 1
		}
		p.textEnd = p.encEnd
	default:
		return nil, fmt.Errorf("%w: coding %v", ErrInvalid, c)
	}
	return p, nil
}

// choose picks the coding and tables for text under opt.
func choose(text string, opt SegmentOptions) (*plan, error) {
	extra, selfCut, err := extraIEs(opt)
	if err != nil {
		return nil, err
	}
	p, err := chooseCoding(text, opt, extra)
	if err != nil {
		return nil, err
	}
	p.ref16, p.extra, p.selfCut = opt.Ref16, extra, selfCut
	if selfCut {
		if n, max := p.units(), p.capacity(p.baseIEs()); n > max {
			return nil, fmt.Errorf("%w: %d units after a header that cuts the message itself, one part holds %d", ErrTooLong, n, max)
		}
	}
	return p, nil
}

// extraIEs checks the port request and the caller's header and returns the
// elements every part carries besides concatenation and language shifts.
func extraIEs(opt SegmentOptions) (UDH, bool, error) {
	var h UDH
	selfCut := false
	for _, ie := range opt.Header {
		switch ie.ID {
		case IEConcat8, IEConcat16:
			selfCut = true
		case IEPorts8, IEPorts16:
			if opt.Ports != nil {
				return nil, false, fmt.Errorf("%w: the header already addresses a port; give the port or the header element, not both", ErrInvalid)
			}
		case IESingleShift, IELockingShift:
			return nil, false, fmt.Errorf("%w: language shift elements are chosen by the encoder, not given in the header", ErrInvalid)
		}
	}
	if opt.Ports != nil {
		d, s := opt.Ports.Dst, opt.Ports.Src
		if d < 0 || d > 0xFFFF || s < 0 || s > 0xFFFF {
			return nil, false, fmt.Errorf("%w: application ports %d/%d outside 0-65535", ErrInvalid, d, s)
		}
		h = append(h, IE{ID: IEPorts16, Data: []byte{byte(d >> 8), byte(d), byte(s >> 8), byte(s)}})
	}
	h = append(h, opt.Header...)
	if _, err := h.Bytes(); err != nil {
		return nil, false, err
	}
	if h.Len() > maxUserDataOctet-8 {
		return nil, false, fmt.Errorf("%w: a header of %d octets leaves no room for data", ErrTooLong, h.Len())
	}
	return h, selfCut, nil
}

func chooseCoding(text string, opt SegmentOptions, extra UDH) (*plan, error) {
	switch opt.Coding {
	case CodingUCS2, Coding8Bit:
		return newPlan(text, opt.Coding, 0, 0)
	case CodingGSM7, CodingAuto:
	default:
		return nil, fmt.Errorf("%w: coding %v", ErrInvalid, opt.Coding)
	}
	if p, err := newPlan(text, CodingGSM7, 0, 0); err == nil {
		return p, nil
	}
	var best *plan
	bestParts := 0
	for _, l := range opt.Languages {
		for _, pair := range []langPair{{0, l}, {l, 0}, {l, l}} {
			if _, ok := lockingTables[pair.lock]; pair.lock != 0 && !ok {
				continue
			}
			if _, ok := singleTables[pair.single]; pair.single != 0 && !ok {
				continue
			}
			p, err := newPlan(text, CodingGSM7, pair.lock, pair.single)
			if err != nil {
				continue
			}
			p.ref16, p.extra = opt.Ref16, extra
			rs, _ := p.ranges()
			// Fewest parts, then fewest septets, then fewest shift IEs.
			if best == nil || len(rs) < bestParts ||
				(len(rs) == bestParts && (p.units() < best.units() ||
					(p.units() == best.units() && len(p.langIEs()) < len(best.langIEs())))) {
				best, bestParts = p, len(rs)
			}
		}
	}
	if opt.Coding == CodingGSM7 {
		if best != nil {
			return best, nil
		}
		_, err := newPlan(text, CodingGSM7, 0, 0)
		return nil, err
	}
	u, err := newPlan(text, CodingUCS2, 0, 0)
	if err != nil {
		return nil, err
	}
	u.ref16, u.extra = opt.Ref16, extra
	if best != nil {
		if ur, _ := u.ranges(); len(ur) < bestParts {
			return u, nil
		}
		return best, nil
	}
	return u, nil
}

// SegmentText cuts text into the parts to send, TS 23.040 clause 9.2.3.24.1:
// 160/153 septets, 70/67 UCS-2 characters, 140/134 octets per part (less
// any language shift IEs); escape pairs and surrogate pairs stay whole.
// A text needing more than 255 parts is an error wrapping ErrTooLong.
func SegmentText(text string, opt SegmentOptions) ([]Segment, error) {
	p, err := choose(text, opt)
	if err != nil {
		return nil, err
	}
	rs, concat := p.ranges()
	if len(rs) > 255 {
		return nil, fmt.Errorf("%w: text needs %d parts, at most 255", ErrTooLong, len(rs))
	}
	dcs := NewDCS(p.coding, opt.classNumber())
	segs := make([]Segment, 0, len(rs))
	for i, r := range rs {
		h := p.header(opt.Ref, opt.Ref16, len(rs), i+1, concat)
		payload := p.enc[p.encStart(r[0]):p.encStart(r[1])]
		if i == len(rs)-1 && p.needsExtraCR(h, r[0], r[1]) {
			payload = append(payload[:len(payload):len(payload)], '\r')
		}
		ud, err := NewUserData(p.coding, h, payload)
		if err != nil {
			return nil, err
		}
		segs = append(segs, Segment{DCS: dcs, UD: ud, Text: p.text[p.textStart(r[0]):p.textStart(r[1])]})
	}
	return segs, nil
}

// classNumber is the class to put in TP-DCS, -1 for none.
func (o SegmentOptions) classNumber() int {
	if n, ok := o.Class.Number(); ok {
		return n
	}
	if o.Flash {
		return 0
	}
	return -1
}

// SegmentData cuts 8-bit data into parts as SegmentText does (140 octets
// in one part, less the header; 134 per part of a concatenated message
// with an 8-bit reference), whatever opt.Coding says. A port request puts
// its IE 0x05 in every part.
func SegmentData(data []byte, opt SegmentOptions) ([]Segment, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: no data", ErrInvalid)
	}
	opt.Coding, opt.Languages = Coding8Bit, nil
	return SegmentText(string(data), opt)
}

// CountData is CountParts for 8-bit data.
func CountData(data []byte, opt SegmentOptions) (Count, error) {
	opt.Coding, opt.Languages = Coding8Bit, nil
	return CountParts(string(data), opt)
}

// CountParts says how many parts and which coding text needs, without
// building them.
func CountParts(text string, opt SegmentOptions) (Count, error) {
	p, err := choose(text, opt)
	if err != nil {
		return Count{}, err
	}
	rs, concat := p.ranges()
	h := p.header(0, opt.Ref16, len(rs), 1, concat)
	return Count{Parts: len(rs), Coding: p.coding, Locking: p.lock, Single: p.single, Units: p.units() / unitSize(p.coding), PerPart: p.capacity(h) / unitSize(p.coding)}, nil
}

func unitSize(c Coding) int {
	if c == CodingUCS2 {
		return 2
	}
	return 1
}

// SubmitOptions are the per-message settings of EncodeSubmit.
type SubmitOptions struct {
	SegmentOptions
	// SMSC is the service centre number put before each TPDU; empty sends
	// "00" and the modem uses its +CSCA setting.
	SMSC string
	// StatusReport requests a delivery report (TP-SRR).
	StatusReport bool
	// Validity is the relative validity period; zero omits TP-VP.
	Validity time.Duration
	// RejectDuplicates sets TP-RD.
	RejectDuplicates bool
	// MR is TP-MR of the first part (incremented per part); modems replace
	// it with their own counter.
	MR byte
	// PID is TP-PID (TS 23.040 clause 9.2.3.9); 0 is a plain SMS.
	PID byte
}

// Part is one SMS-SUBMIT ready for AT+CMGS=<TPDULen> followed by Hex.
type Part struct {
	Seq     int // 1-based
	TPDULen int // octets after the SMSC field
	PDU     []byte
	Hex     string // upper-case hex of PDU
	Submit  *Submit
}

// EncodeSubmit segments text for recipient to and returns the PDUs to send.
func EncodeSubmit(to, text string, opt SubmitOptions) ([]Part, error) {
	return encodeSubmit(to, opt, func() ([]Segment, error) { return SegmentText(text, opt.SegmentOptions) })
}

// EncodeSubmitData is EncodeSubmit for 8-bit data (see SegmentData).
func EncodeSubmitData(to string, data []byte, opt SubmitOptions) ([]Part, error) {
	return encodeSubmit(to, opt, func() ([]Segment, error) { return SegmentData(data, opt.SegmentOptions) })
}

func encodeSubmit(to string, opt SubmitOptions, segment func() ([]Segment, error)) ([]Part, error) {
	da, err := ParseAddress(to)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	if da.TON == TONAlphanumeric {
		return nil, fmt.Errorf("recipient: %w: %q is not a phone number", ErrInvalid, to)
	}
	var smsc Address
	if opt.SMSC != "" {
		if smsc, err = ParseAddress(opt.SMSC); err != nil || smsc.TON == TONAlphanumeric {
			return nil, fmt.Errorf("SMSC: %w: %q is not a phone number", ErrInvalid, opt.SMSC)
		}
	}
	if opt.Validity < 0 {
		return nil, fmt.Errorf("%w: negative validity %v", ErrInvalid, opt.Validity)
	}
	segs, err := segment()
	if err != nil {
		return nil, err
	}
	parts := make([]Part, 0, len(segs))
	for i, sg := range segs {
		s := &Submit{
			SMSC:                smsc,
			RejectDuplicates:    opt.RejectDuplicates,
			StatusReportRequest: opt.StatusReport,
			MR:                  opt.MR + byte(i),
			To:                  da,
			PID:                 opt.PID,
			DCS:                 sg.DCS,
			UD:                  sg.UD,
		}
		if opt.Validity > 0 {
			s.Validity = RelativeValidity(opt.Validity)
		}
		b, n, err := Encode(s)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		parts = append(parts, Part{Seq: i + 1, TPDULen: n, PDU: b, Hex: strings.ToUpper(hex.EncodeToString(b)), Submit: s})
	}
	return parts, nil
}
