package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// decodeJSON reads exactly one JSON object from the body into v, strictly:
// the content type must be JSON, unknown fields are refused, trailing data
// is refused, and each failure becomes the 4xx it deserves.
func decodeJSON(r *http.Request, v any) *Error {
	body, e := readJSON(r)
	if e != nil {
		return e
	}
	return unmarshalStrict(body, v)
}

// readJSON checks the content type and reads the whole body.
func readJSON(r *http.Request) ([]byte, *Error) {
	if e := requireJSON(r); e != nil {
		return nil, e
	}
	body, err := readBody(r)
	if err != nil {
		return nil, bodyReadError(err)
	}
	return body, nil
}

// maxPresize bounds the buffer readBody sizes by Content-Length alone.
const maxPresize = 64 << 10

// readBody reads the request body into a buffer sized by Content-Length
// when the client sent one (a batch of recipients is read without
// regrowing), bounded as io.ReadAll is by the body limit the HTTP layer
// wraps around it. A length beyond maxPresize is not taken on trust: the
// buffer grows as the bytes come.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	n := r.ContentLength
	if n <= 0 {
		return io.ReadAll(r.Body)
	}
	buf := make([]byte, 0, min(n+1, maxPresize)) // +1: reading EOF needs no regrowth
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func requireJSON(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" || ct == "application/json; charset=utf-8" {
		return nil // what nearly every client sends; parsed, it passes
	}
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type", "Content-Type must be application/json, not %q", ct)
	}
	return nil
}

func bodyReadError(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "", "request body is larger than %d bytes", mbe.Limit)
	}
	return errorf(http.StatusBadRequest, CodeBadRequest, "", "reading the request body failed")
}

func formError(err error) *Error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return bodyReadError(err)
	}
	return errorf(http.StatusBadRequest, CodeBadRequest, "", "malformed form or query: %v", err)
}

func unmarshalStrict(body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the request body is empty; a JSON object is required")
	}
	if e := checkJSONText(body); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) *Error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the request body must be a JSON object")
		}
		return errorf(http.StatusBadRequest, CodeInvalidField, f, "%s must be %s, not a JSON %s", f, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the JSON body is truncated")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return errorf(http.StatusBadRequest, CodeUnknownField, f, "unknown field %q", f)
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return badField(fe.field, "%s", fe.msg)
	}
	return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "invalid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	}
	return "a " + k
}

// fieldError is returned by custom UnmarshalJSON methods.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// stringList accepts "a" or ["a","b"].
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &fieldError{"to", "must be a phone number or a list of phone numbers"}
	}
	*s = many
	return nil
}
