package api

import (
	"fmt"
	"unicode/utf8"

	"smsgw/modem/pdu"
	"smsgw/queue"
)

// Encodings a client may ask for.
const (
	EncodingAuto = "auto"
	EncodingGSM7 = "gsm7"
	EncodingUCS2 = "ucs2"
)

// segment returns how many SMS parts text takes and in which coding, as the
// PDU encoder will cut it (160/153 septets, 70/67 UCS-2 units; an escape or
// surrogate pair is never split across parts).
func segment(text, enc string) (parts int, coding string, err error) {
	if (enc == "" || enc == EncodingAuto || enc == EncodingGSM7) && oneBasicPart(text) {
		return 1, EncodingGSM7, nil
	}
	return segmentText(text, enc)
}

// gsmBasicASCII holds the ASCII characters that are one septet each of
// the GSM 7-bit default alphabet (3GPP TS 23.038 6.2.1), without escape:
// TestGSMBasicASCII checks it against the encoder.
var gsmBasicASCII = func() (t [128]bool) {
	for _, c := range "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" {
		t[c] = true
	}
	return t
}()

// oneBasicPart reports whether text is 1 to 160 characters of the GSM
// default alphabet's ASCII, not ending in CR: one GSM 7-bit part, the most
// common text, found without the encoder's plan of the text. (A final CR
// on an octet boundary is doubled, TS 23.038 6.1.2.1.1, which can make a
// second part.)
func oneBasicPart(text string) bool {
	if len(text) == 0 || len(text) > 160 || text[len(text)-1] == '\r' {
		return false
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c >= utf8.RuneSelf || !gsmBasicASCII[c] {
			return false
		}
	}
	return true
}

// segmentText is segment worked out by the encoder.
func segmentText(text, enc string) (parts int, coding string, err error) {
	var c pdu.Coding
	switch enc {
	case "", EncodingAuto:
		c = pdu.CodingAuto
	case EncodingGSM7:
		c = pdu.CodingGSM7
	case EncodingUCS2:
		c = pdu.CodingUCS2
	default:
		return 0, "", fmt.Errorf("encoding must be auto, gsm7 or ucs2, not %q", enc)
	}
	n, err := pdu.CountParts(text, pdu.SegmentOptions{Coding: c})
	if err != nil {
		if c == pdu.CodingGSM7 {
			return 0, "", fmt.Errorf("the text has characters outside the GSM 7-bit alphabet; use encoding auto or ucs2")
		}
		return 0, "", fmt.Errorf("the text cannot be encoded: %w", err)
	}
	return n.Parts, n.Coding.String(), nil
}

// segmentMessage is segment for a message that may carry 8-bit data, a
// port, a client's header and a class: the parts the encoder will cut.
func segmentMessage(text, enc string, b queue.Binary) (parts int, coding string, err error) {
	if !b.IsData() && b.Ports == nil && len(b.UDH) == 0 {
		return segment(text, enc)
	}
	opt := pdu.SegmentOptions{}
	if b.Ports != nil {
		opt.Ports = &pdu.Ports{Dst: b.Ports.Dst, Src: b.Ports.Src}
	}
	if len(b.UDH) > 0 {
		h, _, err := pdu.ParseUDH(b.UDH)
		if err != nil {
			return 0, "", fmt.Errorf("udh: %w", err)
		}
		opt.Header = h
	}
	var n pdu.Count
	if b.IsData() {
		n, err = pdu.CountData(b.Data, opt)
	} else {
		switch enc {
		case EncodingGSM7:
			opt.Coding = pdu.CodingGSM7
		case EncodingUCS2:
			opt.Coding = pdu.CodingUCS2
		}
		n, err = pdu.CountParts(text, opt)
	}
	if err != nil {
		return 0, "", err
	}
	return n.Parts, n.Coding.String(), nil
}
