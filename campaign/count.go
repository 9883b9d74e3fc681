package campaign

import (
	"strings"
	"unicode/utf16"

	"smsgw/modem/pdu"
)

// Count is how a text goes out: its coding, parts and the characters (in
// the coding's units: septets, an escaped character counting two, or UTF-16
// units) still free in the last part, exactly as the PDU codec cuts it.
type Count struct {
	Coding string `json:"coding"`
	Parts  int    `json:"parts"`
	Left   int    `json:"left"`
}

// CountText counts text as the PDU encoder will send it (automatic coding:
// GSM 7-bit when every character fits, else UCS-2).
func CountText(text string) (Count, error) { return CountTextCoding(text, pdu.CodingAuto) }

// CountTextCoding is CountText in a coding a send asks for (CodingAuto,
// CodingGSM7 or CodingUCS2).
func CountTextCoding(text string, coding pdu.Coding) (Count, error) {
	n, err := pdu.CountParts(text, pdu.SegmentOptions{Coding: coding})
	if err != nil {
		return Count{}, err
	}
	c := Count{Coding: n.Coding.String(), Parts: n.Parts}
	if n.Parts == 1 {
		c.Left = n.PerPart - n.Units
		return c, nil
	}
	// Escape and surrogate pairs are never split, so earlier parts may
	// end short: only the codec's own cut says what the last part holds.
	segs, err := pdu.SegmentText(text, pdu.SegmentOptions{Coding: coding})
	if err != nil {
		return Count{}, err
	}
	c.Left = n.PerPart - units(segs[len(segs)-1].Text, n.Coding)
	return c, nil
}

// units is the length of s in the coding's units.
func units(s string, c pdu.Coding) int {
	if c == pdu.CodingUCS2 {
		n := 0
		for _, r := range s {
			n += utf16.RuneLen(r)
		}
		return n
	}
	sept, err := pdu.EncodeGSM7(s)
	if err != nil {
		return len(s)
	}
	return len(sept)
}

// smart maps typographic characters to their GSM 7-bit look-alikes;
// an empty string drops the character (zero-width marks).
var smart = strings.NewReplacer(
	"\u2018", "'", "\u2019", "'", "\u201a", "'", "\u201b", "'", "\u2032", "'", "\u00b4", "'", "\u0060", "'",
	"\u2039", "'", "\u203a", "'",
	"\u201c", "\"", "\u201d", "\"", "\u201e", "\"", "\u201f", "\"", "\u2033", "\"", "\u00ab", "\"", "\u00bb", "\"",
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2015", "-", "\u2212", "-",
	"\u2026", "...",
	"\u00a0", " ", "\u2000", " ", "\u2001", " ", "\u2002", " ", "\u2003", " ", "\u2004", " ", "\u2005", " ",
	"\u2006", " ", "\u2007", " ", "\u2008", " ", "\u2009", " ", "\u200a", " ", "\u202f", " ", "\u205f", " ", "\u3000", " ",
	"\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "",
	"\u2022", "*", "\u00b7", ".", "\u02c6", "^", "\u02dc", "~", "\u00d7", "x",
)

// SmartEncode replaces typographic characters (curly quotes, dashes,
// ellipsis, odd spaces, zero-width marks) by GSM 7-bit equivalents when
// that makes the whole text GSM 7-bit; otherwise (an emoji stays UCS-2
// anyway) the text is returned as it was, and changed is false.
func SmartEncode(text string) (out string, changed bool) {
	if pdu.IsGSM7(text) {
		return text, false
	}
	out = smart.Replace(text)
	if out == text || !pdu.IsGSM7(out) {
		return text, false
	}
	return out, true
}
