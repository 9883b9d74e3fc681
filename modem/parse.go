package modem

import (
	"regexp"
	"strconv"
	"strings"
)

// fields splits the arguments of an information response ("+CMGL: 1, 0,,23",
// `+COPS: 0,0,"Name, Inc",7`) on commas outside double quotes; each field is
// trimmed and unquoted. A missing field is "".
func fields(s string) []string {
	var out []string
	var b strings.Builder
	inQ := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQ = !inQ
		case c == ',' && !inQ:
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, strings.TrimSpace(b.String()))
}

// args returns what follows "<prefix>:" in line, or ok false when line does
// not start with the prefix (case-insensitive, optional space after ':').
func args(line, prefix string) (string, bool) {
	if len(line) < len(prefix) || !strings.EqualFold(line[:len(prefix)], prefix) {
		return "", false
	}
	rest := line[len(prefix):]
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	return strings.TrimSpace(rest[1:]), true
}

// find returns the arguments of the first line carrying prefix.
func find(lines []string, prefix string) (string, bool) {
	for _, l := range lines {
		if a, ok := args(l, prefix); ok {
			return a, true
		}
	}
	return "", false
}

// atoi parses a decimal field leniently ("002", " 5 "); ok false if empty or
// not a number.
func atoi(s string) (int, bool) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`))
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return n, true
}

// plain cleans an identity line: drops a "+CGMI: " style prefix, collapses
// runs of spaces, trims and unquotes (Wavecom pads with spaces).
func plain(line, prefix string) string {
	if a, ok := args(line, prefix); ok {
		line = a
	}
	line = strings.Trim(strings.TrimSpace(line), `"`)
	return strings.Join(strings.Fields(line), " ")
}

var digitsRe = regexp.MustCompile(`[0-9]{5,}`)

// digitsIn returns the first run of at least min digits in lines.
func digitsIn(lines []string, min int) string {
	for _, l := range lines {
		for _, d := range digitsRe.FindAllString(l, -1) {
			if len(d) >= min {
				return d
			}
		}
	}
	return ""
}

var iccidRe = regexp.MustCompile(`[0-9A-Fa-f]{18,22}`)

// iccidIn extracts an ICCID from any vendor's reply (+CCID: "8949...",
// ^ICCID: 98...,  +QCCID: 8944...F) and normalises it: digits only, the
// trailing F filler dropped.
func iccidIn(lines []string, swapped bool) string {
	for _, l := range lines {
		m := iccidRe.FindString(l)
		if m == "" {
			continue
		}
		if swapped {
			m = swapNibbles(m)
		}
		m = strings.TrimRight(strings.ToUpper(m), "F")
		if strings.IndexFunc(m, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			continue
		}
		return m
	}
	return ""
}

// swapNibbles undoes the BCD nibble order of EF_ICCID read raw (AT+CRSM,
// Huawei ^ICCID on some firmware that prints it as stored).
func swapNibbles(s string) string {
	b := []byte(s)
	for i := 0; i+1 < len(b); i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
	return string(b)
}

var groupRe = regexp.MustCompile(`\(([^()]*)\)`)
var memRe = regexp.MustCompile(`[A-Za-z_]+`)

// cpmsGroups parses an AT+CPMS=? reply into the storages allowed for mem1,
// mem2, mem3, in every shape seen: with parentheses, with extra outer
// parentheses and only two groups (Wavecom), without parentheses (Huawei
// MU609: one list for all), with spaces, with a stray quote, or empty.
func cpmsGroups(a string) [][]string {
	var out [][]string
	if gs := groupRe.FindAllStringSubmatch(a, -1); len(gs) > 0 {
		for _, g := range gs {
			out = append(out, memRe.FindAllString(g[1], -1))
		}
		return out
	}
	if ms := memRe.FindAllString(a, -1); len(ms) > 0 {
		return [][]string{ms, ms, ms}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
