package rules

import (
	"regexp"
	"strings"
	"unicode"
)

// Message is a received message as rules see it.
type Message struct {
	InboxID int64  `json:"inbox_id,omitempty"`
	From    string `json:"from"`
	Text    string `json:"text"`
	Modem   string `json:"modem,omitempty"`
	// To is the number of the receiving modem's SIM, when known.
	To string `json:"to,omitempty"`
}

// trimPunct drops whitespace and punctuation around s: people type
// "Hours?", " hours!" or "HOURS." for the same keyword.
func trimPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
}

// firstWord is the first whitespace-separated word of s without the
// punctuation around it.
func firstWord(s string) string {
	f := strings.Fields(s)
	for _, w := range f {
		if w = trimPunct(w); w != "" {
			return w
		}
	}
	return ""
}

// digits keeps the digits of a number, so that "+49 151 ..." and
// "+49151..." compare equal.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sameSender compares a configured sender with a received one: numbers by
// their digits, names case-insensitively.
func sameSender(want, got string) bool {
	if isNumber(want) && isNumber(got) {
		return digits(want) == digits(got)
	}
	return strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(got))
}

// matches reports whether the rule's match selects m; re is the compiled
// pattern of a regex rule.
func matches(r Rule, re *regexp.Regexp, m Message) bool {
	switch r.Match.Type {
	case MatchFirstWord:
		return strings.EqualFold(firstWord(m.Text), trimPunct(r.Match.Value))
	case MatchText:
		return strings.EqualFold(strings.Join(strings.Fields(trimPunct(m.Text)), " "),
			strings.Join(strings.Fields(trimPunct(r.Match.Value)), " "))
	case MatchRegex:
		return re != nil && re.MatchString(m.Text)
	case MatchFrom:
		return sameSender(r.Match.Value, m.From)
	case MatchModem:
		return r.Match.Value == m.Modem
	case MatchAny:
		return true
	}
	return false
}

// Replyable reports whether an automatic answer may go to sender: never to
// an alphanumeric sender ("BANK", which cannot receive) or a short code
// (3 to 6 digits, operators' and services' numbers, which may answer back
// or charge), and never to an empty one. The reason names what refused it.
func Replyable(sender string) (ok bool, reason string) {
	s := strings.TrimSpace(sender)
	if s == "" {
		return false, SkipNoSender
	}
	if !isNumber(s) {
		return false, SkipAlphanumeric
	}
	if d := digits(s); !strings.HasPrefix(s, "+") && len(d) <= 6 {
		return false, SkipShortCode
	}
	return true, ""
}
