package sqlite

import "encoding/binary"

// Element types of SQLite's binary JSON (https://sqlite.org/jsonb.html),
// a stable format since SQLite 3.45.
const (
	jsonbText    = 0x7 // a string that needs no escaping in JSON
	jsonbTextRaw = 0xA // any other string
	jsonbArray   = 0xB
)

// jsonbTexts encodes ss as a JSONB array of strings. json_each takes it
// as it is, where a JSON text array is first parsed into this form by
// every statement it is bound to: for a batch of 500 recipients, the
// parse cost each of the two statements that read the list about 4 % of
// its work.
func jsonbTexts(ss []string) []byte {
	n := 0
	for _, s := range ss {
		n += jsonbHeaderLen(len(s)) + len(s)
	}
	b := make([]byte, 0, jsonbHeaderLen(n)+n)
	b = jsonbHeader(b, jsonbArray, n)
	for _, s := range ss {
		t := byte(jsonbText)
		if !jsonSafe(s) {
			t = jsonbTextRaw
		}
		b = jsonbHeader(b, t, len(s))
		b = append(b, s...)
	}
	return b
}

// jsonSafe reports whether s can stand in a JSON string as it is.
func jsonSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return true
}

// jsonbHeaderLen is the length of the header of an element of n bytes.
func jsonbHeaderLen(n int) int {
	switch {
	case n <= 11:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case uint64(n) <= 0xffffffff:
		return 5
	}
	return 9
}

// jsonbHeader appends the header of an element of type t with n bytes of
// payload: the size in the high nibble when it is at most 11, else in the
// 1, 2, 4 or 8 big-endian bytes that follow, as 12..15 there say.
func jsonbHeader(b []byte, t byte, n int) []byte {
	switch {
	case n <= 11:
		return append(b, byte(n)<<4|t)
	case n <= 0xff:
		return append(b, 0xC0|t, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xD0|t), uint16(n))
	case uint64(n) <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xE0|t), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xF0|t), uint64(n))
}

// jsonbElements returns the elements of the JSONB array a, without its
// header: the elements of several arrays put end to end are those of
// their concatenation (see jsonbArrayOf).
func jsonbElements(a []byte) []byte {
	switch a[0] >> 4 {
	case 12:
		return a[2:]
	case 13:
		return a[3:]
	case 14:
		return a[5:]
	case 15:
		return a[9:]
	}
	return a[1:]
}

// jsonbArrayOf makes a JSONB array of the encoded elements elems.
func jsonbArrayOf(elems []byte) []byte {
	b := make([]byte, 0, jsonbHeaderLen(len(elems))+len(elems))
	return append(jsonbHeader(b, jsonbArray, len(elems)), elems...)
}
