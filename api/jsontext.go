package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkJSONText refuses a body whose strings hold what encoding/json would
// silently turn into U+FFFD or pass on: bytes that are not UTF-8, a lone
// surrogate escape (\ud800 without its pair), or NUL (\u0000). Each would
// reach a phone as a wrong character, or cut a text short in C code down
// the line, so the client hears about it instead, with the field named
// (as Kannel does). Syntax errors are left to the strict decoder.
func checkJSONText(body []byte) *Error {
	if jsonTextClean(body) {
		return nil
	}
	return checkJSONTokens(body)
}

// jsonTextClean reports whether no part of body, inside a string or not,
// holds what checkJSONTokens refuses: it looks at every byte once, without
// tokenising, so a clean body (nearly every one) costs no allocation.
// Where it says false checkJSONTokens decides, with the field named.
// Escapes pair up as they do inside strings; outside them a backslash is a
// syntax error, where the tokeniser stops before anything after it.
func jsonTextClean(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0:
			return false
		case c == '\\':
			if i+1 < len(b) && b[i+1] == 'u' {
				r, ok := hex4(b, i+2)
				if !ok {
					i += 2
					continue
				}
				switch {
				case r == 0 || (r >= 0xDC00 && r < 0xE000):
					return false
				case r >= 0xD800 && r < 0xDC00:
					lo, ok := rune(0), false
					if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
						lo, ok = hex4(b, i+8)
					}
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return false
					}
					i += 12
					continue
				}
				i += 6
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return false
			}
			i += size
		}
	}
	return true
}

// checkJSONTokens is checkJSONText the slow way, token by token, naming
// the field of the first bad string.
func checkJSONTokens(body []byte) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		obj       bool
		key       string
		idx       int
		expectKey bool
	}
	var stack []*frame
	path := func(extra string) string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.obj && f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			case !f.obj:
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		if extra != "" {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(extra)
		}
		return b.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.obj {
			top.expectKey, top.key = true, ""
		} else {
			top.idx++
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		end := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{obj: true, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].expectKey
			if problem := badJSONString(body[start:end]); problem != "" {
				field := path("")
				if isKey {
					field = path(t)
					problem += " in a key"
				}
				if field == "" {
					field = "body"
				}
				return errorf(http.StatusBadRequest, CodeInvalidField, field, "%s: %s", field, problem)
			}
			if isKey {
				top := stack[len(stack)-1]
				top.key, top.expectKey = t, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// badJSONString inspects the raw text of one JSON string token (with
// whatever separator precedes it) and says what is wrong with it, or "".
func badJSONString(raw []byte) string {
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return ""
	}
	for i++; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			return ""
		case c == '\\':
			if i+1 >= len(raw) {
				return ""
			}
			if raw[i+1] != 'u' {
				i += 2
				continue
			}
			r, ok := hex4(raw, i+2)
			if !ok {
				return ""
			}
			switch {
			case r == 0:
				return `NUL (\u0000) is not allowed in text`
			case r >= 0xDC00 && r < 0xE000:
				return fmt.Sprintf(`\u%04x is half of a UTF-16 surrogate pair, without its first half`, r)
			case r >= 0xD800 && r < 0xDC00:
				lo, ok := rune(0), false
				if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
					lo, ok = hex4(raw, i+8)
				}
				if !ok || lo < 0xDC00 || lo >= 0xE000 {
					return fmt.Sprintf(`\u%04x is half of a UTF-16 surrogate pair, without its second half`, r)
				}
				i += 12
				continue
			}
			i += 6
		case c == 0:
			return "NUL is not allowed in text"
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size <= 1 {
				return fmt.Sprintf("byte 0x%02x is not UTF-8", c)
			}
			i += size
		}
	}
	return ""
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// onlyParams refuses a query parameter the route does not take: a typo
// (?status= for ?state=) would otherwise list everything as if unfiltered.
func onlyParams(r *http.Request, allowed ...string) *Error {
	for name := range r.URL.Query() {
		known := false
		for _, a := range allowed {
			known = known || name == a
		}
		if known {
			continue
		}
		hint := ""
		if name == "status" && slicesContains(allowed, "state") {
			hint = " (did you mean state?)"
		}
		if len(allowed) == 0 {
			return errorf(http.StatusBadRequest, CodeUnknownField, name, "unknown query parameter %q: this route takes none", name)
		}
		return errorf(http.StatusBadRequest, CodeUnknownField, name, "unknown query parameter %q%s: this route takes %s", name, hint, strings.Join(allowed, ", "))
	}
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
