package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"smsgw"
)

// jsonFragments build bodies near the edges the text check and the strict
// decoder care about: escapes of every kind, surrogate halves and pairs,
// NUL, bytes that are not UTF-8, stray backslashes, trailing data.
var jsonFragments = []string{
	`{`, `}`, `[`, `]`, `,`, `:`, ` `, "\n", `"`, `"to"`, `"text"`, `"a"`, `"+4915112345678"`,
	`\`, `\\`, `\"`, `\n`, `\u0000`, `\u0041`, `\ud83d`, `\ude00`, `\ud83d\ude00`, `\uD800`, `\uDFFF`, `\u12`, `\uzzzz`,
	"\x00", "\xff", "\xc3\xa9", "\xed\xa0\x80", "😀", `1`, `-0`, `01`, `1.5`, `1e3`, `true`, `null`,
	`"priority"`, `"ttl"`, `"tags"`, `"metadata"`, `"flash"`, `"To"`, `"x"`,
}

func randomBody(r *rand.Rand) []byte {
	var b strings.Builder
	n := 1 + r.IntN(14)
	for range n {
		b.WriteString(jsonFragments[r.IntN(len(jsonFragments))])
	}
	return []byte(b.String())
}

// wellFormedBody is a send request whose strings carry random fragments,
// so most of them reach the string checks instead of a syntax error.
func wellFormedBody(r *rand.Rand) []byte {
	str := func() string {
		var b strings.Builder
		for range r.IntN(4) {
			f := jsonFragments[r.IntN(len(jsonFragments))]
			if f == `"` || f == `\` {
				continue
			}
			b.WriteString(f)
		}
		return `"` + b.String() + `"`
	}
	switch r.IntN(3) {
	case 0:
		return []byte(`{"to":` + str() + `,"text":` + str() + `}`)
	case 1:
		return []byte(`{"to":[` + str() + `,` + str() + `],"text":"x","metadata":{` + str() + `:` + str() + `}}`)
	}
	return []byte(`{"to":"+4915112345678",` + str() + `:1,"text":` + str() + `}` + jsonFragments[r.IntN(len(jsonFragments))])
}

func errText(e *Error) string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%d %s %s %s", e.Status, e.Code, e.Field, e.Message)
}

// TestJSONTextCleanAsTokens: checkJSONText (the byte scan, then the token
// walk where the scan finds something) answers exactly as the token walk
// alone does.
func TestJSONTextCleanAsTokens(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	flagged := 0
	for i := range 60000 {
		var body []byte
		if i%2 == 0 {
			body = randomBody(r)
		} else {
			body = wellFormedBody(r)
		}
		got, want := checkJSONText(body), checkJSONTokens(body)
		if errText(got) != errText(want) {
			t.Fatalf("%q: got %s, want %s", body, errText(got), errText(want))
		}
		if want != nil {
			flagged++
		}
	}
	if flagged < 1000 {
		t.Errorf("only %d bodies refused: the check is not exercised", flagged)
	}
}

func FuzzJSONTextClean(f *testing.F) {
	for _, s := range jsonFragments {
		f.Add([]byte(`{"text":"` + s + `"}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := checkJSONText(body), checkJSONTokens(body); errText(got) != errText(want) {
			t.Fatalf("%q: got %s, want %s", body, errText(got), errText(want))
		}
	})
}

// sendBodyValues are values of every kind for each field, valid or not.
var sendBodyValues = []string{
	`"+4915112345678"`, `"0151 1234"`, `["+4915112345678","+4915187654321"]`, `[]`, `["a"]`, `[ "a" , "b" ]`, `[1]`, `["a",]`,
	`"hello"`, `"héllo ✓ 😀"`, `"a\nb"`, `"\u00e9"`, "\"\xff\"", "\"a\tb\"", `""`, `"2026-01-02T15:04:05Z"`,
	`0`, `-0`, `5`, `-128`, `127`, `123456789`, `1234567890`, `99999999999999999999`, `01`, `1.0`, `1e2`, `-`, `+1`,
	`true`, `false`, `null`, `tru`, `{}`, `{"a":"b"}`, `{"a":"b","a":"c"}`, `{"a":1}`, `{"a":"b",}`, `[null]`,
	`"\ud83d\ude00"`, `"\uD83D\uDE00 x"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00"`, `"\u0000"`, `"a\u0001"`, `"\"\\\/\b\f\n\r\t"`,
	`"\x"`, `"\u12"`, `"\u12g4"`, `"é\n"`, "\"\xff\\n\"", "\"\\n\xff\"", `"\ud83d\u0041"`, `"\uffff\ufffd"`, `"a\`, `"+49151\u0031234567"`,
	`["+4915112345678\n"]`, `{"k\u00e9":"v\t"}`,
}

func structuredSendBody(r *rand.Rand) []byte {
	var b strings.Builder
	ws := func() {
		if r.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.IntN(4)])
		}
	}
	ws()
	b.WriteByte('{')
	n := r.IntN(5)
	for i := range n {
		if i > 0 {
			ws()
			b.WriteByte(',')
		}
		ws()
		key := sendFields[r.IntN(len(sendFields))]
		switch r.IntN(20) {
		case 0:
			key = "To"
		case 1:
			key = "unknown"
		case 2:
			key = `t\u0065xt` // "text", escaped
		}
		b.WriteString(`"` + key + `"`)
		ws()
		b.WriteByte(':')
		ws()
		b.WriteString(sendBodyValues[r.IntN(len(sendBodyValues))])
		ws()
	}
	b.WriteByte('}')
	ws()
	if r.IntN(20) == 0 {
		b.WriteString(jsonFragments[r.IntN(len(jsonFragments))])
	}
	return []byte(b.String())
}

// TestDecodeSendFastAsStrict: whenever the hand-written reader of a send
// body answers, the strict decoder accepts the body and fills the same
// request; when it does not, it leaves the request zero.
func TestDecodeSendFastAsStrict(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fast := 0
	for i := range 100000 {
		var body []byte
		switch i % 3 {
		case 0:
			body = randomBody(r)
		default:
			body = structuredSendBody(r)
		}
		compareSendDecode(t, body)
		var req sendRequest
		if req.decodeFast(body) {
			fast++
		}
	}
	if fast < 10000 {
		t.Errorf("the fast reader answered %d bodies: not exercised", fast)
	}
	t.Logf("fast reader answered %d bodies", fast)
}

func compareSendDecode(t *testing.T, body []byte) {
	t.Helper()
	var got sendRequest
	if !got.decodeFast(body) {
		if !reflect.DeepEqual(got, sendRequest{}) {
			t.Fatalf("%q: refused but left %+v", body, got)
		}
		return
	}
	var want sendRequest
	if e := unmarshalStrict(body, &want); e != nil {
		t.Fatalf("%q: fast reader took it, strict decoder refused: %s", body, errText(e))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nfast   %#v\nstrict %#v", body, got, want)
	}
}

func FuzzDecodeSendFast(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		f.Add(structuredSendBody(r))
	}
	f.Fuzz(func(t *testing.T, body []byte) { compareSendDecode(t, body) })
}

// TestSendFieldsAreTheTags: the fast reader knows exactly the JSON names
// of sendRequest.
func TestSendFieldsAreTheTags(t *testing.T) {
	var tags []string
	rt := reflect.TypeOf(sendRequest{})
	for i := range rt.NumField() {
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	slices.Sort(tags)
	known := slices.Clone(sendFields[:])
	slices.Sort(known)
	if !slices.Equal(tags, known) {
		t.Errorf("sendRequest fields %v, fast reader knows %v", tags, known)
	}
}

// TestSubmittedAsEncoder: the hand-written 202 body is byte for byte
// what writeJSON writes for the answer built the usual way, and it steps
// aside for strings encoding/json escapes.
func TestSubmittedAsEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	strs := []string{"", "q1", "q12-40", "12", "+4915112345678", "queued", "suppressed", "gsm7", "ucs2",
		"opted out", "a\"b", `a\b`, "<&>", "é", "\u2028", "a\nb", "\x7f", "\xff"}
	pick := func() string { return strs[r.IntN(len(strs))] }
	hand := 0
	for range 20000 {
		res := SubmitResult{Batch: pick()}
		if r.IntN(10) > 0 {
			res.Messages = []Message{}
			for range r.IntN(4) {
				res.Messages = append(res.Messages, Message{ID: pick(), To: pick(), State: smsgw.State(pick()), Reason: pick(),
					PartCount: r.IntN(12) - 1, Coding: pick(), Text: pick(), Error: pick(), Priority: r.IntN(3)})
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sendResponse(res)); err != nil {
			t.Fatal(err)
		}
		got, ok := appendSubmitted(nil, res.Batch, res.Messages)
		if !ok {
			continue
		}
		hand++
		if string(got) != want.String() {
			t.Fatalf("%#v:\ngot  %s\nwant %s", res, got, want.String())
		}
	}
	if hand < 1000 {
		t.Errorf("only %d answers written by hand", hand)
	}
}

// TestReadBody: the body is read whole whatever Content-Length says of
// it, and a body cut short is an error as with io.ReadAll.
func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", maxPresize*3+5)
	for _, tc := range []struct {
		body   string
		length int64
	}{{"", 0}, {"{}", 2}, {"{}", -1}, {big, int64(len(big))}, {big, -1}} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		req.ContentLength = tc.length
		got, err := readBody(req)
		if err != nil || string(got) != tc.body {
			t.Errorf("length %d: %d bytes, %v; want %d", tc.length, len(got), err, len(tc.body))
		}
	}
	// The server's body reader fails on a body shorter than its
	// Content-Length; readBody passes the failure on.
	req := httptest.NewRequest("POST", "/", io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF)))
	req.ContentLength = 10
	if _, err := readBody(req); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut short: %v", err)
	}
}
