// Package stored holds the stored forms the storage drivers share: how a
// campaign row, a received part's digest and its decoder defects are kept,
// so that both drivers read and write them alike.
package stored

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"smsgw/campaign"
	"smsgw/queue"
)

// MsTime is the time of a stored Unix millisecond count; 0 is the zero
// time (not set).
func MsTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// msPtr is MsTime for an optional time: nil when not set.
func msPtr(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := MsTime(ms)
	return &t
}

// Digest identifies a received PDU's bytes in a SIM slot record.
func Digest(b []byte) int64 {
	sum := sha256.Sum256(b)
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// JoinDefects stores a part's decoder defects one per line.
func JoinDefects(d []string) string {
	clean := make([]string, 0, len(d))
	for _, s := range d {
		if s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")); s != "" {
			clean = append(clean, s)
		}
	}
	return strings.Join(clean, "\n")
}

// SplitDefects reads what JoinDefects stored.
func SplitDefects(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// CampaignCols are the columns a Campaign row is scanned from, in order.
const CampaignCols = `id, spec, state, reason, expanded, run, quote, created_at, updated_at, launched_at, finished_at, run_at, missed_runs`

// Campaign is a campaigns row as both drivers keep it: the spec and the
// quote as JSON, times as Unix milliseconds (0: not set).
type Campaign struct {
	ID                                          int64
	Spec, State, Reason, Quote                  string
	Expanded                                    bool
	Run, MissedRuns                             int
	Created, Updated, Launched, Finished, RunAt int64
}

// Dests are the scan destinations of CampaignCols.
func (r *Campaign) Dests() []any {
	return []any{&r.ID, &r.Spec, &r.State, &r.Reason, &r.Expanded, &r.Run, &r.Quote,
		&r.Created, &r.Updated, &r.Launched, &r.Finished, &r.RunAt, &r.MissedRuns}
}

// Decode is the campaign the row holds.
func (r *Campaign) Decode() (campaign.Campaign, error) {
	c := campaign.Campaign{ID: fmt.Sprint(r.ID), State: campaign.State(r.State), Reason: r.Reason,
		Expanded: r.Expanded, Run: r.Run, MissedRuns: r.MissedRuns,
		Created: MsTime(r.Created), Updated: MsTime(r.Updated),
		LaunchedAt: msPtr(r.Launched), FinishedAt: msPtr(r.Finished), RunAt: msPtr(r.RunAt)}
	if err := json.Unmarshal([]byte(r.Spec), &c.Spec); err != nil {
		return c, fmt.Errorf("campaign %d: spec: %w", r.ID, err)
	}
	if r.Quote != "" {
		if err := json.Unmarshal([]byte(r.Quote), &c.Cost); err != nil {
			return c, fmt.Errorf("campaign %d: quote: %w", r.ID, err)
		}
	}
	return c, nil
}

// PartsFold gathers the stored parts of one received message, read in
// (seq, id) order, into what its inbox row keeps: one PDU per part (a
// second copy of a part, read again with another time stamp or other
// bytes, is left out), the earliest service-centre time stamp, the latest
// arrival, and the parts' defects, each named by its part when there are
// several.
type PartsFold struct {
	Total    int // the message's part count
	PDUs     [][]byte
	Defects  []string
	SCTS     int64 // Unix ms, 0 when none
	Received int64 // Unix ms
	last     int
}

// Add takes the next stored part.
func (f *PartsFold) Add(seq int, pdu []byte, scts, received int64, defects string) {
	f.Received = max(f.Received, received)
	if seq == f.last {
		return
	}
	if len(f.PDUs) == 0 || (scts != 0 && scts < f.SCTS) {
		f.SCTS = scts
	}
	f.last = seq
	f.PDUs = append(f.PDUs, pdu)
	for _, d := range SplitDefects(defects) {
		if f.Total > 1 {
			d = fmt.Sprintf("part %d: %s", seq, d)
		}
		f.Defects = append(f.Defects, d)
	}
}

// PairCursor is a page cursor "<ms>.<key>": the position, by time and
// then by key, after which the next page goes on.
func PairCursor(ms int64, key string) string { return strconv.FormatInt(ms, 10) + "." + key }

// ParsePairCursor reads a PairCursor.
func ParsePairCursor(c string) (int64, string, error) {
	a, b, ok := strings.Cut(c, ".")
	ms, err := strconv.ParseInt(a, 10, 64)
	if !ok || err != nil || ms < 0 || b == "" {
		return 0, "", &queue.ValidationError{Field: "cursor", Reason: "not a cursor from a previous page"}
	}
	return ms, b, nil
}
