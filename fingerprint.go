package smsgw

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint identifies a request by its meaning, for its idempotency key:
// a retry with the same key and the same Fingerprint replays the first
// answer, one with another Fingerprint fails with ErrIdempotencyMismatch.
// It is the SHA-256 of the request's canonical JSON; the zero value means
// "none".
type Fingerprint [sha256.Size]byte

// FingerprintOf returns the fingerprint of canonical, encoded as JSON (map
// keys sorted). canonical holds the request as the client meant it: values
// derived from the clock (an expiry computed from a relative ttl) must be
// left out, or a retry would never match.
func FingerprintOf(canonical any) Fingerprint {
	b, _ := json.Marshal(canonical) // canonical forms are plain data
	return sha256.Sum256(b)
}

// IsZero reports whether f is unset.
func (f Fingerprint) IsZero() bool { return f == Fingerprint{} }

// String is f in lower-case hex.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }
