package consent

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sources of a record.
const (
	SourceSMS         = "sms"           // a keyword received by SMS
	SourceAPI         = "api"           // an API call (Token names the token)
	SourceImport      = "import"        // a list imported by the operator
	SourceDoubleOptIn = "double_opt_in" // a YES to a confirmation request
)

// Record is one entry of the consent ledger. Seq, PrevHash and Hash are
// set by the store when the record is appended; Hash covers every other
// field and the previous record's hash, so a changed, removed or inserted
// row breaks the chain from there on.
type Record struct {
	Seq    int64     `json:"seq"`
	Number string    `json:"number"`
	Action Action    `json:"action"`
	At     time.Time `json:"at"` // UTC, millisecond precision
	Source string    `json:"source"`
	// InboxID and Modem: the received message that carried the keyword.
	InboxID int64  `json:"inbox_id,omitempty"`
	Modem   string `json:"modem,omitempty"`
	// Token: the name of the API token that made the call.
	Token string `json:"token,omitempty"`
	// Disclosure is the text shown with the consent and its version.
	Disclosure        string `json:"disclosure,omitempty"`
	DisclosureVersion string `json:"disclosure_version,omitempty"`
	// Evidence is what the caller passed: IP address, user agent, form
	// URL...
	Evidence map[string]string `json:"evidence,omitempty"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// ComputeHash returns the hash r must carry after a record whose hash is
// prev ("" for the first).
func (r Record) ComputeHash(prev string) string {
	canon := struct {
		Seq        int64             `json:"seq"`
		Number     string            `json:"number"`
		Action     Action            `json:"action"`
		AtMS       int64             `json:"at_ms"`
		Source     string            `json:"source"`
		InboxID    int64             `json:"inbox_id"`
		Modem      string            `json:"modem"`
		Token      string            `json:"token"`
		Disclosure string            `json:"disclosure"`
		Version    string            `json:"disclosure_version"`
		Evidence   map[string]string `json:"evidence"`
	}{r.Seq, r.Number, r.Action, r.At.UnixMilli(), r.Source, r.InboxID, r.Modem, r.Token, r.Disclosure, r.DisclosureVersion, r.Evidence}
	b, _ := json.Marshal(canon) // plain data; map keys come out sorted
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Chain seals r as the record after prev (nil for the first): its Seq,
// PrevHash and Hash.
func (r *Record) Chain(prev *Record) {
	r.Seq, r.PrevHash = 1, ""
	if prev != nil {
		r.Seq, r.PrevHash = prev.Seq+1, prev.Hash
	}
	r.At = r.At.UTC().Truncate(time.Millisecond)
	r.Hash = r.ComputeHash(r.PrevHash)
}

// Verifier checks a ledger read in order, one record at a time.
type Verifier struct {
	prev  *Record
	Count int64
}

// Add checks the next record: its number in sequence, its link to the
// previous one and its own hash.
func (v *Verifier) Add(r Record) error {
	wantSeq, wantPrev := int64(1), ""
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	switch {
	case r.Seq != wantSeq:
		return &BreakError{Seq: r.Seq, Reason: fmt.Sprintf("sequence number %d where %d was due: a record was removed or inserted", r.Seq, wantSeq)}
	case r.PrevHash != wantPrev:
		return &BreakError{Seq: r.Seq, Reason: "it does not link to the record before it: that record, or this link, was changed"}
	case r.ComputeHash(r.PrevHash) != r.Hash:
		return &BreakError{Seq: r.Seq, Reason: "its content does not match its hash: the record was changed"}
	}
	rc := r
	v.prev = &rc
	v.Count++
	return nil
}

// Head is the hash of the last record checked ("" before any): keep it
// elsewhere, and a later verify also proves no record was removed from the
// end.
func (v *Verifier) Head() string {
	if v.prev == nil {
		return ""
	}
	return v.prev.Hash
}

// BreakError reports where the chain breaks.
type BreakError struct {
	Seq    int64
	Reason string
}

func (e *BreakError) Error() string {
	return fmt.Sprintf("consent ledger: record %d: %s", e.Seq, e.Reason)
}

// LedgerFilter selects ledger records; zero fields do not filter.
type LedgerFilter struct {
	Number string
	Since  time.Time // at or after
	Until  time.Time // before
	After  int64     // Seq greater than
	Limit  int       // default 1000, at most 10000
}

// Status is a number's consent as it stands.
type Status struct {
	Number string    `json:"number"`
	Action Action    `json:"action"` // opt_out or opt_in: the latest of them
	At     time.Time `json:"at"`
	Source string    `json:"source"`
	Seq    int64     `json:"seq"` // the ledger record that set it
}

// OptedOut reports whether the number opted out.
func (s Status) OptedOut() bool { return s.Action == ActionOptOut }

// Pending is a double opt-in request waiting for its YES.
type Pending struct {
	Number            string            `json:"number"`
	RequestedAt       time.Time         `json:"requested_at"`
	ExpiresAt         time.Time         `json:"expires_at"`
	Source            string            `json:"source"`
	Token             string            `json:"token,omitempty"`
	Disclosure        string            `json:"disclosure,omitempty"`
	DisclosureVersion string            `json:"disclosure_version,omitempty"`
	Evidence          map[string]string `json:"evidence,omitempty"`
}

// Applied is what Store.Apply did.
type Applied struct {
	Record Record
	// Changed: the record was appended (or had been, by an earlier pass
	// of the same received message). False when the number already stood
	// where the record would put it: nothing was appended, and no
	// confirmation is due.
	Changed bool
	// Cancelled counts the queued messages an opt-out cancelled.
	Cancelled int
}

// Store keeps the ledger, each number's standing and pending double
// opt-ins. A driver implements it over the queue's database, so that an
// opt-out and the cancellation of its pending messages are one commit.
type Store interface {
	// Apply appends r (Seq and hashes are the store's) and applies it in
	// one transaction: the number's standing changes; an opt-out cancels
	// the number's queued messages that the queue's consent policy now
	// refuses (reason opted_out); an opt-in ends a pending double opt-in;
	// an opt-out or opt-in appends an sms:optout or sms:optin event. An
	// opt-out or opt-in that changes nothing appends nothing. A record
	// whose InboxID is that of the number's latest record is a repeated
	// pass of the same message: that record is returned, Changed.
	Apply(ctx context.Context, r Record) (Applied, error)
	// Status returns the number's standing, or smsgw.ErrNotFound when
	// nothing was ever recorded.
	Status(ctx context.Context, number string) (Status, error)
	// OptOuts lists the numbers that stand opted out, by number, after
	// the number after.
	OptOuts(ctx context.Context, after string, limit int) ([]Status, error)
	// Ledger reads records in order.
	Ledger(ctx context.Context, f LedgerFilter) ([]Record, error)
	// RequestOptIn stores a double opt-in request, replacing an earlier
	// one for the number.
	RequestOptIn(ctx context.Context, p Pending) error
	// Pending returns the number's request, or smsgw.ErrNotFound.
	Pending(ctx context.Context, number string) (Pending, error)
}

// CSVHeader is the first row of a CSV export.
var CSVHeader = []string{"seq", "number", "action", "at", "source", "inbox_id", "modem", "token",
	"disclosure", "disclosure_version", "evidence", "prev_hash", "hash"}

// WriteCSV writes records as CSV rows (without the header); evidence is
// a JSON object in one column.
func WriteCSV(w *csv.Writer, rs []Record) error {
	for _, r := range rs {
		ev := ""
		if len(r.Evidence) > 0 {
			b, _ := json.Marshal(r.Evidence)
			ev = string(b)
		}
		inbox := ""
		if r.InboxID != 0 {
			inbox = strconv.FormatInt(r.InboxID, 10)
		}
		if err := w.Write([]string{strconv.FormatInt(r.Seq, 10), r.Number, string(r.Action),
			r.At.UTC().Format("2006-01-02T15:04:05.000Z"), r.Source, inbox, r.Modem, r.Token,
			r.Disclosure, r.DisclosureVersion, ev, r.PrevHash, r.Hash}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// ReadCSV reads an export written by WriteCSV, header included.
func ReadCSV(r io.Reader) ([]Record, error) {
	cr := csv.NewReader(r)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("consent: read CSV: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		return nil, fmt.Errorf("consent: CSV header is not %s", strings.Join(CSVHeader, ","))
	}
	out := make([]Record, 0, len(rows)-1)
	for i, row := range rows[1:] {
		var rec Record
		var err error
		if rec.Seq, err = strconv.ParseInt(row[0], 10, 64); err != nil {
			return nil, fmt.Errorf("consent: CSV row %d: seq: %w", i+2, err)
		}
		rec.Number, rec.Action, rec.Source = row[1], Action(row[2]), row[4]
		if rec.At, err = time.Parse(time.RFC3339Nano, row[3]); err != nil {
			return nil, fmt.Errorf("consent: CSV row %d: at: %w", i+2, err)
		}
		if row[5] != "" {
			if rec.InboxID, err = strconv.ParseInt(row[5], 10, 64); err != nil {
				return nil, fmt.Errorf("consent: CSV row %d: inbox_id: %w", i+2, err)
			}
		}
		rec.Modem, rec.Token, rec.Disclosure, rec.DisclosureVersion = row[6], row[7], row[8], row[9]
		if row[10] != "" {
			if err := json.Unmarshal([]byte(row[10]), &rec.Evidence); err != nil {
				return nil, fmt.Errorf("consent: CSV row %d: evidence: %w", i+2, err)
			}
		}
		rec.PrevHash, rec.Hash = row[11], row[12]
		out = append(out, rec)
	}
	return out, nil
}
