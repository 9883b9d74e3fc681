package smsgw

import (
	"errors"
	"fmt"
	"strings"
)

// countryCodes maps ISO 3166-1 alpha-2 codes to ITU-T E.164 country calling
// codes, for the default country of national-format numbers. The list covers
// the countries where smsgw is known to be used; any other country can be
// configured by its calling code ("+358") instead.
var countryCodes = map[string]string{
	"AT": "43", "AU": "61", "BE": "32", "BG": "359", "BR": "55", "CA": "1",
	"CH": "41", "CN": "86", "CZ": "420", "DE": "49", "DK": "45", "EE": "372",
	"ES": "34", "FI": "358", "FR": "33", "GB": "44", "GR": "30", "HR": "385",
	"HU": "36", "IE": "353", "IL": "972", "IN": "91", "IT": "39", "JP": "81",
	"KE": "254", "LT": "370", "LU": "352", "LV": "371", "MX": "52", "NG": "234",
	"NL": "31", "NO": "47", "NZ": "64", "PH": "63", "PK": "92", "PL": "48",
	"PT": "351", "RO": "40", "RS": "381", "RU": "7", "SE": "46", "SG": "65",
	"SI": "386", "SK": "421", "TR": "90", "UA": "380", "US": "1", "ZA": "27",
}

// CallingCode resolves a default-country setting, either an ISO 3166-1
// alpha-2 code ("DE") or a calling code ("49", "+49"), to the calling code
// digits. An empty setting yields "".
func CallingCode(country string) (string, error) {
	c := strings.TrimSpace(country)
	if c == "" {
		return "", nil
	}
	if cc, ok := countryCodes[strings.ToUpper(c)]; ok {
		return cc, nil
	}
	d := strings.TrimPrefix(c, "+")
	if d != "" && len(d) <= 3 && allDigits(d) && d[0] != '0' {
		return d, nil
	}
	return "", fmt.Errorf("unknown default country %q: use an ISO code like \"DE\" or a calling code like \"+49\"", country)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// NormalizeE164 turns a phone number as people write it into E.164
// ("+4915112345678"). Spaces, dashes, dots, slashes and parentheses are
// dropped; "00" is the international prefix; a national number (leading
// trunk "0", or bare digits) gets the calling code cc, and without cc it is
// an error. Short codes (3 to 6 digits, no prefix) are kept as they are:
// operators use them for services. The result has 7 to 15 digits after '+'.
func NormalizeE164(raw, cc string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty phone number")
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("invalid character %q in phone number", r)
		}
	}
	n := b.String()
	var digits string
	switch {
	case strings.HasPrefix(n, "+"):
		digits = n[1:]
	case strings.HasPrefix(n, "00"):
		digits = n[2:]
	case len(n) >= 3 && len(n) <= 6 && n[0] != '0':
		return n, nil // short code
	case strings.HasPrefix(n, "0"):
		if cc == "" {
			return "", fmt.Errorf("national number %q needs a country code (+CC...) or a configured default country", raw)
		}
		digits = cc + strings.TrimLeft(n, "0")
	default:
		if cc == "" {
			return "", fmt.Errorf("number %q must be in international format (+CC...) or a default country must be configured", raw)
		}
		digits = cc + n
	}
	if !allDigits(digits) {
		return "", fmt.Errorf("phone number %q has no digits", raw)
	}
	if digits[0] == '0' {
		return "", fmt.Errorf("country code in %q cannot start with 0", raw)
	}
	if len(digits) < 7 || len(digits) > 15 {
		return "", fmt.Errorf("phone number %q has %d digits; E.164 allows 7 to 15", raw, len(digits))
	}
	return "+" + digits, nil
}

// NormalizeDigits is the looser check the queue applies to every recipient
// it stores, whichever door the message came in by: an optional leading +
// and 1 to 20 digits, with spaces, dashes, dots and parentheses dropped. It
// accepts what NormalizeE164 refuses (short and national numbers without a
// country, numbers too long for E.164) because the queue does not know the
// default country and must take what a modem can dial; the HTTP API
// normalises to E.164 before the queue sees a number.
func NormalizeDigits(n string) (string, error) {
	var b strings.Builder
	digits := 0
	for i, r := range strings.TrimSpace(n) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("unexpected character %q", r)
		}
	}
	if digits == 0 {
		return "", errors.New("no digits")
	}
	if digits > 20 {
		return "", errors.New("more than 20 digits")
	}
	return b.String(), nil
}
