package smsgw

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"smsgw/internal/phonenumbers"
)

// Phone numbers are read with internal/phonenumbers (github.com/nyaruka/phonenumbers,
// its metadata parsed on first use), a port of
// Google's libphonenumber: it knows every assigned country calling code,
// each country's national (trunk) prefix, including the "(0)" people write
// after the country code ("+49 (0)151 ..."), and the lengths a number can
// have there. What it cannot know (numbers opened since its metadata was
// made) is why only the possible length is checked, not the number plan.

// CallingCode resolves a default-country setting, either an ISO 3166-1
// alpha-2 code ("DE") or a calling code ("49", "+49"), to the calling code
// digits. An empty setting yields "".
func CallingCode(country string) (string, error) {
	c := strings.TrimSpace(country)
	if c == "" {
		return "", nil
	}
	if len(c) == 2 && !allDigits(c) {
		if n := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(c)); n != 0 {
			return strconv.Itoa(n), nil
		}
		return "", fmt.Errorf("unknown default country %q: use an ISO code like \"DE\" or a calling code like \"+49\"", country)
	}
	d := strings.TrimPrefix(c, "+")
	if d != "" && len(d) <= 3 && allDigits(d) && d[0] != '0' {
		n, _ := strconv.Atoi(d)
		if phonenumbers.GetSupportedCallingCodes()[n] {
			return d, nil
		}
		return "", fmt.Errorf("default country %q: +%s is not an assigned country calling code", country, d)
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

// Country is where a phone number belongs, for prices, time zones and
// statistics.
type Country struct {
	// Region is the ISO 3166-1 alpha-2 code ("DE"); "001" for a
	// non-geographic number (satellite, international services); for a
	// calling code shared by several countries (+1, +7, +44...) it is the
	// one the number's prefix belongs to, or the code's main country when
	// the prefix says nothing.
	Region string
	// CallingCode is the country calling code (49).
	CallingCode int
}

// CountryOf returns the country of an E.164 number ("+4915112345678").
func CountryOf(e164 string) (Country, error) {
	if !strings.HasPrefix(e164, "+") || !allDigits(e164[1:]) {
		return Country{}, fmt.Errorf("%q is not an E.164 number (+ and digits)", e164)
	}
	if cc, _, ok := parsePlain(e164); ok && fastParse && codes[cc].region != "" {
		// A calling code of one region: the library answers that region
		// for every number it parses with it.
		return Country{Region: codes[cc].region, CallingCode: cc}, nil
	}
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return Country{}, fmt.Errorf("phone number %q: %w", e164, phoneParseError(err))
	}
	cc := int(num.GetCountryCode())
	region := phonenumbers.GetRegionCodeForNumber(num)
	if region == "" || region == "ZZ" {
		// A number outside every prefix of its code (an invalid number):
		// the code's main country is still the best answer.
		region = phonenumbers.GetRegionCodeForCountryCode(cc)
	}
	if region == "ZZ" {
		return Country{}, fmt.Errorf("phone number %q: +%d is not an assigned country calling code", e164, cc)
	}
	return Country{Region: region, CallingCode: cc}, nil
}

// phoneParseError turns the library's parse errors into sentences.
func phoneParseError(err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return errors.New("the country calling code is missing or not assigned")
	case errors.Is(err, phonenumbers.ErrNotANumber):
		return errors.New("not a phone number")
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return errors.New("too short")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return errors.New("too long")
	}
	return err
}

// NormalizeE164 turns a phone number as people write it into E.164
// ("+4915112345678"). Spaces, dashes, dots, slashes and parentheses are
// dropped; "00" is the international prefix; the national prefix is dropped
// where the country has one, also when written after the country code
// ("+49 (0)151 ...", "+49 0151 ..."); a national number gets the calling
// code cc, and without cc it is an error. Short codes (3 to 6 digits, no
// prefix) are kept as they are: operators use them for services. An
// unassigned country code, or a length no number of that country has, is
// refused.
func NormalizeE164(raw, cc string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty phone number")
	}
	n := s
	if !plainDigits(s) {
		// Only a number written with separators needs a copy.
		var b strings.Builder
		b.Grow(len(s))
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
		n = b.String()
	}
	region := "ZZ" // no default country: the number must carry its own
	switch {
	case n == "+" || n == "":
		return "", fmt.Errorf("phone number %q has no digits", raw)
	case strings.HasPrefix(n, "+"):
	case strings.HasPrefix(n, "00"):
		n = "+" + n[2:]
	case len(n) >= 3 && len(n) <= 6 && n[0] != '0':
		return n, nil // short code
	case cc == "":
		if strings.HasPrefix(n, "0") {
			return "", fmt.Errorf("national number %q needs a country code (+CC...) or a configured default country", raw)
		}
		return "", fmt.Errorf("number %q must be in international format (+CC...) or a default country must be configured", raw)
	default:
		code, err := strconv.Atoi(cc)
		if err != nil {
			return "", fmt.Errorf("default calling code %q: not a number", cc)
		}
		region = phonenumbers.GetRegionCodeForCountryCode(code)
		if region == "ZZ" {
			return "", fmt.Errorf("default calling code +%s is not assigned", cc)
		}
	}
	if strings.HasPrefix(n, "+0") {
		return "", fmt.Errorf("country code in %q cannot start with 0", raw)
	}
	code, nat, ok := parsePlain(n)
	ok = ok && fastParse
	var reason phonenumbers.ValidationResult
	var num *phonenumbers.PhoneNumber
	if ok {
		// The library's answer depends on the calling code and the
		// length of the national number alone.
		reason = possibleByLength(code, len(nat))
	} else {
		var err error
		num, err = phonenumbers.Parse(n, region)
		if errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "ZZ" {
			return "", fmt.Errorf("phone number %q: its country calling code is not assigned", raw)
		}
		if err != nil {
			return "", fmt.Errorf("phone number %q: %w", raw, phoneParseError(err))
		}
		code, reason = int(num.GetCountryCode()), phonenumbers.IsPossibleNumberWithReason(num)
	}
	if reason != phonenumbers.IS_POSSIBLE {
		where := phonenumbers.GetRegionCodeForCountryCode(code)
		switch reason {
		case phonenumbers.INVALID_COUNTRY_CODE:
			return "", fmt.Errorf("phone number %q: +%d is not an assigned country calling code", raw, code)
		case phonenumbers.TOO_SHORT:
			return "", fmt.Errorf("phone number %q is too short for a number in %s (+%d)", raw, where, code)
		case phonenumbers.TOO_LONG:
			return "", fmt.Errorf("phone number %q is too long for a number in %s (+%d)", raw, where, code)
		default: // INVALID_LENGTH, IS_POSSIBLE_LOCAL_ONLY (no area code)
			digits := len(nat)
			if !ok {
				digits = len(phonenumbers.GetNationalSignificantNumber(num))
			}
			return "", fmt.Errorf("phone number %q: no number in %s (+%d) has %d digits", raw, where, code, digits)
		}
	}
	out := n // what Format gives for a number parsePlain read
	if !ok {
		out = phonenumbers.Format(num, phonenumbers.E164)
	}
	if d := len(out) - 1; d < 7 || d > 15 {
		return "", fmt.Errorf("phone number %q has %d digits; E.164 allows 7 to 15", raw, d)
	}
	return out, nil
}

// NormalizeDigits is the looser check the queue applies to every recipient
// it stores, whichever door the message came in by: an optional leading +
// and 1 to 20 digits, with spaces, dashes, dots and parentheses dropped. It
// accepts what NormalizeE164 refuses (short and national numbers without a
// country, numbers too long for E.164) because the queue does not know the
// default country and must take what a modem can dial; the HTTP API
// normalises to E.164 before the queue sees a number.
func NormalizeDigits(n string) (string, error) {
	if s := strings.TrimSpace(n); plainDigits(s) {
		// Nothing to drop: the number is its own answer.
		digits := len(s)
		if strings.HasPrefix(s, "+") {
			digits--
		}
		switch {
		case digits == 0:
			return "", errors.New("no digits")
		case digits > 20:
			return "", errors.New("more than 20 digits")
		}
		return s, nil
	}
	return normalizeDigitsCopy(n)
}

// normalizeDigitsCopy is NormalizeDigits for a number with separators.
func normalizeDigitsCopy(n string) (string, error) {
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

// fastParse lets parsePlain answer; tests turn it off to compare with the
// library's own parse.
var fastParse = true

// plainDigits reports whether s is digits with an optional leading '+',
// the form NormalizeE164 needs no copy of.
func plainDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && (s[i] != '+' || i != 0) {
			return false
		}
	}
	return true
}

// parsePlain reads "+" and digits, the form nearly every API recipient
// comes in, as phonenumbers.Parse would, without its general parse: that
// runs a dozen regular expressions (the extension pattern alone half its
// time) and cost a batch of 500 recipients more CPU than storing them. It
// returns the calling code and the national number. ok is false for
// anything it does not answer exactly as Parse does (a country's national
// prefix written after the country code, leading zeros, unusual lengths,
// no assigned code): the caller parses those in full.
// TestParsePlainAsParse checks it against Parse for every calling code.
func parsePlain(n string) (cc int, nat string, ok bool) {
	if len(n) < 2 || n[0] != '+' || n[1] == '0' {
		return 0, "", false
	}
	d := n[1:]
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, "", false
		}
	}
	prefixOnce.Do(loadPrefixes)
	if prefixBad {
		return 0, "", false // the full parse decides
	}
	// The country code is the shortest assigned one of 1 to 3 digits, as
	// the library extracts it.
	var code *callingCode
	for i, c := 1, 0; i <= 3 && i < len(d); i++ {
		c = c*10 + int(d[i-1]-'0')
		if codes[c] != nil {
			cc, nat, code = c, d[i:], codes[c]
			break
		}
	}
	if code == nil || len(nat) < 3 || len(nat) > 15 || nat[0] == '0' {
		return 0, "", false
	}
	if code.prefixed(nat) {
		return 0, "", false // Parse may strip it
	}
	return cc, nat, true // at most 15 digits: a uint64 holds it
}

// possibleByLength is phonenumbers.IsPossibleNumberWithReason for a
// number of calling code cc whose national number (no leading zero) has
// length digits: the library looks at nothing else of such a number, so
// the answers are worked out once per calling code and length.
func possibleByLength(cc, length int) phonenumbers.ValidationResult {
	prefixOnce.Do(loadPrefixes)
	if cc > 0 && cc < len(codes) && codes[cc] != nil && length < len(codes[cc].possible) {
		return codes[cc].possible[length]
	}
	return possibleOf(cc, length)
}

func possibleOf(cc, length int) phonenumbers.ValidationResult {
	nn := uint64(1)
	for i := 1; i < length; i++ {
		nn *= 10
	}
	c32 := int32(cc)
	return phonenumbers.IsPossibleNumberWithReason(&phonenumbers.PhoneNumber{CountryCode: &c32, NationalNumber: &nn})
}

// callingCode is what the plain path knows of one assigned calling code:
// the national prefix the library strips after it (its main region's, or
// the non-geographic entity's), a literal one as a string, any other as a
// pattern; and the library's verdict on each length of national number.
type callingCode struct {
	region    string // as plainCode's
	prefixLit string
	prefixRe  *regexp.Regexp
	possible  [16]phonenumbers.ValidationResult
}

// prefixed reports whether the library would strip a national prefix
// from the start of nat.
func (c *callingCode) prefixed(nat string) bool {
	if c.prefixRe != nil {
		return c.prefixRe.MatchString(nat)
	}
	return c.prefixLit != "" && strings.HasPrefix(nat, c.prefixLit)
}

// plainCode is one assigned calling code as the plain path needs it: the
// national prefix for parsing of its main region (a pattern, "" for
// none), and the library's verdict on a national number of each length 0
// to 15 as a digit (phonenumbers.ValidationResult); and its region when
// it has only one.
type plainCode struct {
	cc       uint16
	prefix   string
	possible string
	region   string // the code's one region, "" where several share it
}

var (
	prefixOnce sync.Once
	// codes holds every assigned calling code by number (1 to 3 digits),
	// nil where none is assigned: the plain path reads an array, not the
	// library's maps.
	codes     [1000]*callingCode
	prefixBad bool // a prefix pattern does not compile: every number is parsed in full
)

// loadPrefixes builds codes from plainCodes, a table made from the
// library's metadata when it is updated (phone_codes_test.go), so that a
// plain number never has the library parse its metadata: that takes tens
// of milliseconds and keeps over a megabyte of heap for the life of the
// process, for numbers that arrive as "+" and digits nearly always.
func loadPrefixes() {
	for _, pc := range plainCodes {
		code := &callingCode{region: pc.region}
		for l := range code.possible {
			code.possible[l] = phonenumbers.ValidationResult(pc.possible[l] - '0')
		}
		if p := pc.prefix; p != "" {
			re, err := regexp.Compile("^(?:" + p + ")")
			if err != nil {
				prefixBad = true
				return
			}
			// Most prefixes are a digit or two: a string compare
			// spares the regular expression machine per number.
			if lit, complete := regexp.MustCompile("(?:" + p + ")").LiteralPrefix(); complete && lit != "" {
				code.prefixLit = lit
			} else {
				code.prefixRe = re
			}
		}
		codes[pc.cc] = code
	}
}
