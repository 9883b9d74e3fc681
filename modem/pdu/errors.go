package pdu

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by DecodeError and by the encoders; test with
// errors.Is.
var (
	// ErrTruncated: the input ends before the field does.
	ErrTruncated = errors.New("truncated")
	// ErrInvalid: a field holds a value 3GPP TS 23.040 does not allow.
	ErrInvalid = errors.New("invalid value")
	// ErrCompressed: TP-DCS announces TS 23.042 compressed user data,
	// which no handset or network in use produces and this codec rejects.
	ErrCompressed = errors.New("compressed user data (TS 23.042) is not supported")
	// ErrUnsupported: a well-formed value this codec does not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrNotEncodable: the text holds a character the requested coding
	// cannot carry.
	ErrNotEncodable = errors.New("character not encodable")
	// ErrTooLong: the text needs more than 255 parts, or a value does not fit
	// its field.
	ErrTooLong = errors.New("too long")
)

// DecodeError says which field of a PDU could not be decoded and where it
// starts (byte offset into the input given to the decoder, the SMSC part
// included when there is one).
type DecodeError struct {
	Field  string // 3GPP field name, e.g. "TP-DA", "TP-UDL", "SMSC"
	Offset int    // byte offset of the field in the input
	Err    error  // ErrTruncated, ErrInvalid, ErrCompressed, ... possibly wrapped
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("pdu: %s at offset %d: %v", e.Field, e.Offset, e.Err)
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// reader walks a byte slice and turns every short read into a DecodeError
// naming the field, so no decoder ever indexes out of range.
type reader struct {
	b    []byte
	off  int
	base int // offset of b[0] in the caller's input
	// defects collects what the decoder read leniently (see
	// Deliver.Defects); shared by the readers of one PDU.
	defects *[]string
}

// defect notes something odd the decoder read anyway.
func (r *reader) defect(format string, args ...any) {
	if r.defects != nil {
		*r.defects = append(*r.defects, fmt.Sprintf(format, args...))
	}
}

func (r *reader) fail(field string, err error) error {
	return &DecodeError{Field: field, Offset: r.base + r.off, Err: err}
}

func (r *reader) failAt(field string, off int, err error) error {
	return &DecodeError{Field: field, Offset: r.base + off, Err: err}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) byte(field string) (byte, error) {
	if r.off >= len(r.b) {
		return 0, r.fail(field, ErrTruncated)
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(field string, n int) ([]byte, error) {
	if n < 0 || r.remaining() < n {
		return nil, r.fail(field, fmt.Errorf("%w: need %d octets, have %d", ErrTruncated, n, r.remaining()))
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b, nil
}
