package config

import (
	"fmt"
	"net/url"
	"time"

	"smsgw/internal/callback"
)

// SecurityConfig is the [security] table: what a daemon without API tokens
// answers to requests a web browser may send on a page's behalf.
type SecurityConfig struct {
	// AllowedHosts are Host header values answered without tokens besides
	// localhost and loopback addresses ("name" for any port, "name:port"
	// for that port only).
	AllowedHosts []string `toml:"allowed_hosts"`
	// KannelGet is "local" (default: GET /cgi-bin/sendsms without a token
	// only from clients that are not web pages) or "never".
	KannelGet string `toml:"kannel_get"`
}

// CallbacksConfig is the [callbacks] table: which hosts the daemon may
// call on a client's behalf (Kannel dlr-url, webhooks registered through
// the API). Loopback, link-local and private addresses are refused unless
// listed.
type CallbacksConfig struct {
	// AllowHosts are host names, IP addresses or CIDR prefixes that may be
	// called although they are local or private.
	AllowHosts []string `toml:"allow_hosts"`
	// AllowPrivate lifts the address check altogether.
	AllowPrivate bool `toml:"allow_private"`
}

// Policy returns the callback policy for API-supplied URLs.
func (c CallbacksConfig) Policy() callback.Policy {
	return callback.Policy{AllowHosts: c.AllowHosts, AllowPrivate: c.AllowPrivate}
}

// LimitsConfig is the [limits] table: caps on what one request or client
// may ask of the API. Every answer past a cap is a 4xx naming it.
type LimitsConfig struct {
	// BodyBytes caps a request body (default 1 MiB).
	BodyBytes int64 `toml:"body_bytes"`
	// Recipients per send request (default 10000).
	Recipients int `toml:"recipients"`
	// Tags per message (default 16), each at most TagBytes (default 64).
	Tags     int `toml:"tags"`
	TagBytes int `toml:"tag_bytes"`
	// MetadataKeys per message (default 32) and MetadataBytes for all of
	// it as JSON (default 4096).
	MetadataKeys  int `toml:"metadata_keys"`
	MetadataBytes int `toml:"metadata_bytes"`
	// EventStreams caps concurrent /v1/events clients (default 64).
	EventStreams int `toml:"event_streams"`
	// StreamWriteTimeout: an event-stream client that takes longer than
	// this to accept one write is cut off (default 30s).
	StreamWriteTimeout Duration `toml:"stream_write_timeout"`
}

// Values of [security] kannel_get.
const (
	KannelGetLocal = "local"
	KannelGetNever = "never"
)

// defaultLimits are the [limits] a configuration leaves out. They are the
// HTTP API's own defaults (api.DefaultLimits), spelled here because the
// configuration is read without the HTTP layer; a test of the daemon holds
// the two equal.
var defaultLimits = LimitsConfig{
	BodyBytes: 1 << 20, Recipients: 10000, Tags: 16, TagBytes: 64,
	MetadataKeys: 32, MetadataBytes: 4096, EventStreams: 64,
	StreamWriteTimeout: Duration{30 * time.Second},
}

func (s *SecurityConfig) applyDefaults() {
	if s.KannelGet == "" {
		s.KannelGet = KannelGetLocal
	}
}

func (s SecurityConfig) validate(bad badFunc) {
	switch s.KannelGet {
	case KannelGetLocal, KannelGetNever:
	default:
		bad("security.kannel_get", "%q: want %q or %q", s.KannelGet, KannelGetLocal, KannelGetNever)
	}
	for i, h := range s.AllowedHosts {
		if u, err := url.Parse("http://" + h); h == "" || err != nil || u.Host != h {
			bad(fmt.Sprintf("security.allowed_hosts[%d]", i), "%q: want a host name or host:port", h)
		}
	}
}

func (c CallbacksConfig) validate(bad badFunc) {
	if err := c.Policy().Validate(); err != nil {
		bad("callbacks.allow_hosts", "%v", err)
	}
}

func (l *LimitsConfig) applyDefaults() {
	d := defaultLimits
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if l.BodyBytes == 0 {
		l.BodyBytes = d.BodyBytes
	}
	def(&l.Recipients, d.Recipients)
	def(&l.Tags, d.Tags)
	def(&l.TagBytes, d.TagBytes)
	def(&l.MetadataKeys, d.MetadataKeys)
	def(&l.MetadataBytes, d.MetadataBytes)
	def(&l.EventStreams, d.EventStreams)
	if l.StreamWriteTimeout.Duration == 0 {
		l.StreamWriteTimeout = d.StreamWriteTimeout
	}
}

func (l LimitsConfig) validate(bad badFunc) {
	if l.BodyBytes < 1024 || l.BodyBytes > 1<<30 {
		bad("limits.body_bytes", "%d: want 1024..1073741824", l.BodyBytes)
	}
	for _, x := range []struct {
		key    string
		v, max int
	}{
		{"limits.recipients", l.Recipients, 1000000}, {"limits.tags", l.Tags, 1000}, {"limits.tag_bytes", l.TagBytes, 4096},
		{"limits.metadata_keys", l.MetadataKeys, 10000}, {"limits.metadata_bytes", l.MetadataBytes, 1 << 20},
		{"limits.event_streams", l.EventStreams, 100000},
	} {
		if x.v < 1 || x.v > x.max {
			bad(x.key, "%d: want 1..%d", x.v, x.max)
		}
	}
	if l.StreamWriteTimeout.Duration < time.Second {
		bad("limits.stream_write_timeout", "%v: want at least 1s", l.StreamWriteTimeout)
	}
}
