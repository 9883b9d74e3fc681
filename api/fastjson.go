package api

import (
	"net/http"
	"smsgw/queue"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written reader for the common shape of the hottest request body,
// POST /v1/messages: an object of the known fields with strings (valid
// UTF-8, no control characters, no escape of NUL or of half a surrogate
// pair: see jsonReader.str), small integers, booleans,
// lists of plain strings and a map of them. It answers only when it is
// certain to produce what the strict decoder (checkJSONText, then
// encoding/json with unknown fields refused) produces for that body and
// that the strict decoder would accept it; anything else (an escape, null,
// an unknown or repeated key, a key in other case, a fraction, trailing
// data, any syntax error) goes the strict way, which gives every error its
// usual code and sentence. TestDecodeSendFastAsStrict compares both.

// jsonReader walks a body; every method reports false when the text is
// not of the shape it reads.
type jsonReader struct {
	b []byte
	// s is b as a string, made once: the strings read are slices of it,
	// not an allocation each (a batch's recipients share it).
	s string
	i int
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c, taking
// it if so.
func (r *jsonReader) next(c byte) bool {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// str reads a string of valid UTF-8 with no control character, whose
// escapes are the short ones (\n, \", ...) or \u of a character other than
// NUL, or of both halves of a surrogate pair: encoding/json decodes such a
// string to the same text and checkJSONText finds nothing wrong in it.
func (r *jsonReader) str() (string, bool) {
	if !r.next('"') {
		return "", false
	}
	start := r.i
	ascii := true
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.s[start:r.i]
			r.i++
			if !ascii && !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c == '\\':
			return r.unescape(start, ascii)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		r.i++
	}
	return "", false
}

// unescape finishes str for a string with an escape at r.i, its text so
// far starting at start.
func (r *jsonReader) unescape(start int, ascii bool) (string, bool) {
	if !ascii && !utf8.ValidString(r.s[start:r.i]) {
		return "", false
	}
	out := make([]byte, 0, r.i-start+16)
	out = append(out, r.s[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(out), true
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf && c != '\\':
			out = append(out, c)
			r.i++
		case c >= utf8.RuneSelf:
			ru, size := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && size <= 1 {
				return "", false
			}
			out = append(out, r.b[r.i:r.i+size]...)
			r.i += size
		default: // a backslash
			if r.i+1 >= len(r.b) {
				return "", false
			}
			e := r.b[r.i+1]
			r.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				ru, ok := hex4(r.b, r.i)
				if !ok || ru == 0 || (ru >= 0xDC00 && ru < 0xE000) {
					return "", false
				}
				r.i += 4
				if ru >= 0xD800 && ru < 0xDC00 {
					lo, ok := rune(0), false
					if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
						lo, ok = hex4(r.b, r.i+2)
					}
					if !ok || lo < 0xDC00 || lo >= 0xE000 {
						return "", false
					}
					r.i += 6
					ru = utf16.DecodeRune(ru, lo)
				}
				out = utf8.AppendRune(out, ru)
			default:
				return "", false
			}
		}
	}
	return "", false
}

// strs reads a list of plain strings; [] gives an empty list, not nil, as
// encoding/json does.
func (r *jsonReader) strs() ([]string, bool) {
	if !r.next('[') {
		return nil, false
	}
	out := []string{}
	if r.next(']') {
		return out, true
	}
	for {
		s, ok := r.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if r.next(']') {
			return out, true
		}
		if !r.next(',') {
			return nil, false
		}
	}
}

// strMap reads an object of plain strings; a repeated key keeps its last
// value and {} gives an empty map, as encoding/json does.
func (r *jsonReader) strMap() (map[string]string, bool) {
	if !r.next('{') {
		return nil, false
	}
	out := map[string]string{}
	if r.next('}') {
		return out, true
	}
	for {
		k, ok := r.str()
		if !ok || !r.next(':') {
			return nil, false
		}
		v, ok := r.str()
		if !ok {
			return nil, false
		}
		out[k] = v
		if r.next('}') {
			return out, true
		}
		if !r.next(',') {
			return nil, false
		}
	}
}

// small reads an integer of at most 9 digits (it fits an int everywhere,
// so encoding/json would take it), without fraction or exponent.
func (r *jsonReader) small() (int, bool) {
	r.ws()
	neg := r.i < len(r.b) && r.b[r.i] == '-'
	if neg {
		r.i++
	}
	start, n := r.i, 0
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		n = n*10 + int(r.b[r.i]-'0')
		r.i++
	}
	digits := r.i - start
	if digits == 0 || digits > 9 || (digits > 1 && r.b[start] == '0') {
		return 0, false
	}
	if r.i < len(r.b) {
		switch r.b[r.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

func (r *jsonReader) boolean() (v, ok bool) {
	r.ws()
	rest := r.b[r.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		r.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		r.i += 5
		return false, true
	}
	return false, false
}

// end reports whether only white space is left.
func (r *jsonReader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

// decodeFast fills req from body when body has the common shape (see
// above) and reports whether it did; req is left zero when not.
func (req *sendRequest) decodeFast(body []byte) bool {
	r := jsonReader{b: body}
	if !r.next('{') {
		return false
	}
	r.s = string(body)
	if r.next('}') {
		return r.end()
	}
	var seen uint32
	for {
		key, ok := r.str()
		if !ok || !r.next(':') {
			*req = sendRequest{}
			return false
		}
		bit, ok := sendFieldBit(key)
		if !ok || seen&bit != 0 {
			*req = sendRequest{}
			return false
		}
		seen |= bit
		if !req.fastField(&r, key) {
			*req = sendRequest{}
			return false
		}
		if r.next('}') {
			if !r.end() {
				*req = sendRequest{}
				return false
			}
			return true
		}
		if !r.next(',') {
			*req = sendRequest{}
			return false
		}
	}
}

var sendFields = [...]string{"to", "text", "priority", "send_at", "expires_at", "ttl", "modem", "tags",
	"delivery_report", "flash", "encoding", "metadata", "category", "data", "data_hex", "port",
	"source_port", "udh", "class", "pid"}

// sendFieldBit is the bit of a field name of sendRequest as spelled in
// its tag; other spellings encoding/json would match (another case) are
// left to it.
func sendFieldBit(key string) (uint32, bool) {
	for i, f := range sendFields {
		if f == key {
			return 1 << i, true
		}
	}
	return 0, false
}

func (req *sendRequest) fastField(r *jsonReader, key string) bool {
	str := func(dst *string) bool {
		s, ok := r.str()
		*dst = s
		return ok
	}
	strPtr := func(dst **string) bool {
		s, ok := r.str()
		*dst = &s
		return ok
	}
	intPtr := func(dst **int) bool {
		n, ok := r.small()
		*dst = &n
		return ok
	}
	switch key {
	case "to":
		r.ws()
		if r.i < len(r.b) && r.b[r.i] == '"' {
			s, ok := r.str()
			req.To = stringList{s}
			return ok
		}
		l, ok := r.strs()
		req.To = l
		return ok
	case "text":
		return strPtr(&req.Text)
	case "priority":
		n, ok := r.small()
		req.Priority = n
		return ok
	case "send_at":
		return str(&req.SendAt)
	case "expires_at":
		return str(&req.ExpiresAt)
	case "ttl":
		n, ok := r.small()
		v := int64(n)
		req.TTL = &v
		return ok
	case "modem":
		return str(&req.Modem)
	case "tags":
		l, ok := r.strs()
		req.Tags = l
		return ok
	case "delivery_report":
		v, ok := r.boolean()
		req.DeliveryReport = &v
		return ok
	case "flash":
		v, ok := r.boolean()
		req.Flash = v
		return ok
	case "encoding":
		return str(&req.Encoding)
	case "metadata":
		m, ok := r.strMap()
		req.Metadata = m
		return ok
	case "category":
		return str(&req.Category)
	case "data":
		return strPtr(&req.Data)
	case "data_hex":
		return strPtr(&req.DataHex)
	case "port":
		return intPtr(&req.Port)
	case "source_port":
		return intPtr(&req.SourcePort)
	case "udh":
		return str(&req.UDH)
	case "class":
		return intPtr(&req.Class)
	case "pid":
		return intPtr(&req.PID)
	}
	return false
}

// plainJSON reports whether s is written in JSON as itself between quotes
// (printable ASCII without quote or backslash), as encoding/json does.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func appendPlain(b []byte, name, v string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":"`...)
	b = append(b, v...)
	return append(b, '"')
}

// appendSubmitted appends what writeJSON writes (newline included) for
// sendResponse(SubmitResult{Batch: batch, Messages: msgs}) when every
// string in it is plain, and reports whether it could: a batch of
// recipients is answered without the reflection of encoding/json and
// without building the answer first.
func appendSubmitted(b []byte, batch string, msgs []Message) ([]byte, bool) {
	if !plainJSON(batch) {
		return b, false
	}
	for i := range msgs {
		m := &msgs[i]
		if !plainJSON(m.ID) || !plainJSON(m.To) || !plainJSON(string(m.State)) || !plainJSON(m.Reason) || !plainJSON(m.Coding) {
			return b, false
		}
	}
	b = append(b, '{')
	b = appendPlain(b, "batch", batch)
	b = append(b, `,"messages":[`...)
	for i := range msgs {
		m := &msgs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendPlain(b, "id", m.ID)
		b = append(b, ',')
		b = appendMessageRest(b, m.To, string(m.State), m.Reason, m.PartCount, m.Coding)
	}
	return append(b, "]}\n"...), true
}

// appendMessageRest writes the fields of a message of a 202 after its
// id, and closes it; every string is plainJSON.
func appendMessageRest(b []byte, to, state, reason string, parts int, coding string) []byte {
	b = appendPlain(b, "to", to)
	b = append(b, ',')
	b = appendPlain(b, "state", state)
	if reason != "" {
		b = append(b, ',')
		b = appendPlain(b, "reason", reason)
	}
	b = append(b, `,"parts":`...)
	b = strconv.AppendInt(b, int64(parts), 10)
	b = append(b, ',')
	b = appendPlain(b, "coding", coding)
	return append(b, '}')
}

// writeSubmitted writes the 202 of a send.
func writeSubmitted(w http.ResponseWriter, res SubmitResult) {
	size := 32 + len(res.Batch)
	for i := range res.Messages {
		m := &res.Messages[i]
		size += 64 + len(m.ID) + len(m.To) + len(m.State) + len(m.Reason) + len(m.Coding)
	}
	bp := getAnswerBuf(size)
	b, ok := appendSubmitted((*bp)[:0], res.Batch, res.Messages)
	if !ok {
		putAnswerBuf(bp, b)
		writeJSON(w, http.StatusAccepted, sendResponse(res))
		return
	}
	writeAnswer(w, http.StatusAccepted, b)
	putAnswerBuf(bp, b)
}

// writeQueued writes the 202 of a v1 send straight from the queue's
// messages: the same bytes as writeSubmitted(w, submitResult(res, "",
// parts, coding)), without the API's view of every message built first.
func writeQueued(w http.ResponseWriter, res queue.Enqueued, parts int, coding string) {
	msgs := res.Messages
	batch := ""
	if len(msgs) > 0 {
		batch = rangeBatch(msgs[0].ID, msgs[len(msgs)-1].ID)
	}
	size := 32 + len(batch)
	for i := range msgs {
		size += 96 + len(msgs[i].To) + len(msgs[i].Reason)
	}
	bp := getAnswerBuf(size)
	b, ok := appendQueued((*bp)[:0], batch, msgs, parts, coding)
	if !ok {
		putAnswerBuf(bp, b)
		writeSubmitted(w, submitResult(res, "", parts, coding))
		return
	}
	writeAnswer(w, http.StatusAccepted, b)
	putAnswerBuf(bp, b)
}

// appendQueued is appendSubmitted for the view submitResult gives of msgs.
func appendQueued(b []byte, batch string, msgs []queue.Message, parts int, coding string) ([]byte, bool) {
	if !plainJSON(batch) {
		return b, false
	}
	b = append(b, '{')
	b = appendPlain(b, "batch", batch)
	b = append(b, `,"messages":[`...)
	for i := range msgs {
		m := &msgs[i]
		reason := shownReason(m)
		n, c := shownParts(m, parts, coding)
		if !plainJSON(m.To) || !plainJSON(string(m.State)) || !plainJSON(reason) || !plainJSON(c) {
			return b, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = strconv.AppendInt(b, m.ID, 10)
		b = append(b, `",`...)
		b = appendMessageRest(b, m.To, string(m.State), reason, n, c)
	}
	return append(b, "]}\n"...), true
}

// writeAnswer writes a JSON answer of known length: with its length
// given, a large answer goes out as it is rather than in chunks (net/http
// counts a small one itself).
func writeAnswer(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	if len(b) > 2048 {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// maxPooledAnswer bounds the answer buffers kept for reuse, so that one
// huge batch does not pin its buffer for ever.
const maxPooledAnswer = 256 << 10

// answerBufs holds the buffers of 202 answers: a batch's answer is tens of
// kilobytes, garbage as soon as it is written.
var answerBufs sync.Pool

func getAnswerBuf(size int) *[]byte {
	if bp, ok := answerBufs.Get().(*[]byte); ok {
		if cap(*bp) < size {
			*bp = make([]byte, 0, size)
		}
		return bp
	}
	b := make([]byte, 0, size)
	return &b
}

// putAnswerBuf keeps b, the grown form of *bp, for the next answer; the
// caller must not use b after.
func putAnswerBuf(bp *[]byte, b []byte) {
	if cap(b) > maxPooledAnswer {
		return
	}
	*bp = b[:0]
	answerBufs.Put(bp)
}
