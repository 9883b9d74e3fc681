package api

import (
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"
)

// Limits caps what one request or client may ask of the API. Zero fields
// take DefaultLimits' values. Every answer past a cap is a 4xx whose code
// names it.
type Limits struct {
	// BodyBytes caps a request body: 413 body_too_large.
	BodyBytes int64
	// Recipients per send request: 422 too_many_recipients.
	Recipients int
	// Tags per message (422 too_many_tags), each 1 to TagBytes bytes
	// (422 tag_too_long).
	Tags     int
	TagBytes int
	// MetadataKeys per message (422 too_many_metadata_keys), MetadataBytes
	// for all of it as JSON (413 metadata_too_large).
	MetadataKeys  int
	MetadataBytes int
	// EventStreams caps concurrent /v1/events clients: 429
	// too_many_streams.
	EventStreams int
	// StreamWriteTimeout cuts off an event-stream client that has not
	// accepted one write within it (it stopped reading).
	StreamWriteTimeout time.Duration
}

// DefaultLimits returns the limits used where none are configured.
func DefaultLimits() Limits {
	return Limits{
		BodyBytes: 1 << 20, Recipients: 10000, Tags: 16, TagBytes: 64,
		MetadataKeys: 32, MetadataBytes: 4096, EventStreams: 64, StreamWriteTimeout: 30 * time.Second,
	}
}

// Error codes of the limits.
const (
	CodeTooManyTags         = "too_many_tags"
	CodeTagTooLong          = "tag_too_long"
	CodeTooManyMetadataKeys = "too_many_metadata_keys"
	CodeMetadataTooLarge    = "metadata_too_large"
	CodeTooManyStreams      = "too_many_streams"
)

// withDefaults fills zero fields; the older Options.MaxBodyBytes and
// Options.MaxRecipients count where Limits leaves them zero.
func (l Limits) withDefaults(o Options) Limits {
	d := DefaultLimits()
	if l.BodyBytes <= 0 {
		l.BodyBytes = o.MaxBodyBytes
	}
	if l.BodyBytes <= 0 {
		l.BodyBytes = d.BodyBytes
	}
	if l.Recipients <= 0 {
		l.Recipients = o.MaxRecipients
	}
	if l.Recipients <= 0 {
		l.Recipients = d.Recipients
	}
	for _, p := range []struct {
		v *int
		d int
	}{{&l.Tags, d.Tags}, {&l.TagBytes, d.TagBytes}, {&l.MetadataKeys, d.MetadataKeys}, {&l.MetadataBytes, d.MetadataBytes}, {&l.EventStreams, d.EventStreams}} {
		if *p.v <= 0 {
			*p.v = p.d
		}
	}
	if l.StreamWriteTimeout <= 0 {
		l.StreamWriteTimeout = d.StreamWriteTimeout
	}
	return l
}

// checkRecipients enforces Limits.Recipients; field names the caller's
// recipients field.
func (h *Handler) checkRecipients(n int, field string) *Error {
	if max := h.opts.Limits.Recipients; n > max {
		return errorf(http.StatusUnprocessableEntity, CodeTooManyRecipients, field,
			"%d recipients; the limit is %d per request ([limits] recipients)", n, max)
	}
	return nil
}

// checkTagsMetadata enforces the tag and metadata limits and refuses
// reserved metadata keys.
func (h *Handler) checkTagsMetadata(tags []string, meta map[string]string) *Error {
	l := h.opts.Limits
	if len(tags) > l.Tags {
		return errorf(http.StatusUnprocessableEntity, CodeTooManyTags, "tags", "%d tags; the limit is %d ([limits] tags)", len(tags), l.Tags)
	}
	for i, t := range tags {
		if t == "" {
			return badField("tags["+itoa(i)+"]", "a tag is 1 to %d bytes", l.TagBytes)
		}
		if len(t) > l.TagBytes || !utf8.ValidString(t) {
			return errorf(http.StatusUnprocessableEntity, CodeTagTooLong, "tags["+itoa(i)+"]", "a tag is 1 to %d bytes of UTF-8 ([limits] tag_bytes)", l.TagBytes)
		}
	}
	if e := checkReservedMetadata(meta); e != nil {
		return e
	}
	if len(meta) > l.MetadataKeys {
		return errorf(http.StatusUnprocessableEntity, CodeTooManyMetadataKeys, "metadata", "%d metadata keys; the limit is %d ([limits] metadata_keys)", len(meta), l.MetadataKeys)
	}
	if len(meta) > 0 {
		if mb, _ := json.Marshal(meta); len(mb) > l.MetadataBytes {
			return errorf(http.StatusRequestEntityTooLarge, CodeMetadataTooLarge, "metadata", "metadata is %d bytes as JSON; the limit is %d ([limits] metadata_bytes)", len(mb), l.MetadataBytes)
		}
	}
	return nil
}
