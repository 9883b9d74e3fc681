package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"smsgw"
)

// SpendRecord is what one sent message cost, at the price in force when
// its sent event was recorded.
type SpendRecord struct {
	MessageID string
	At        time.Time
	Modem     string
	Country   string
	Campaign  string
	Parts     int
	Price     Money // per part; 0 when no row matched
	Currency  string
}

// SpendLine totals one group of a spend report.
type SpendLine struct {
	Key      string `json:"key"` // the day (YYYY-MM-DD, UTC), modem, campaign or country
	Messages int    `json:"messages"`
	Parts    int    `json:"parts"`
	Cost     Money  `json:"cost"`
	Currency string `json:"currency"`
}

// Spend groupings.
var SpendBy = []string{"day", "modem", "campaign", "country"}

// SpendStore keeps what sent messages cost.
type SpendStore interface {
	// RecordSpend keeps r; a message already recorded is left as it was
	// (an event delivered twice counts once).
	RecordSpend(ctx context.Context, r SpendRecord) error
	// Spend totals the records in [since, until) (zero: unbounded) by one
	// of SpendBy.
	Spend(ctx context.Context, by string, since, until time.Time) ([]SpendLine, error)
}

// SpendRecorder turns sms:sent events into spend records at the price in
// force when the event is handled, right after the send.
type SpendRecorder struct {
	Book  *PriceBook
	Store SpendStore
}

// sentPayload is the part of the sms:sent payload the recorder reads.
type sentPayload struct {
	MessageID   string `json:"messageId"`
	PhoneNumber string `json:"phoneNumber"`
	Modem       string `json:"modem"`
	PartsCount  int    `json:"partsCount"`
	SentAt      string `json:"sentAt"`
	Campaign    string `json:"campaign"`
}

// Record records the spend of one event; events other than sms:sent are
// ignored.
func (s *SpendRecorder) Record(ctx context.Context, ev smsgw.Event) error {
	if ev.Event != smsgw.EventSent {
		return nil
	}
	var p sentPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil || p.MessageID == "" {
		return nil // not ours to judge: a malformed event is skipped
	}
	if _, err := strconv.ParseInt(p.MessageID, 10, 64); err != nil {
		return nil
	}
	at, err := time.Parse(time.RFC3339, p.SentAt)
	if err != nil {
		at = ev.Created
	}
	parts := p.PartsCount
	if parts <= 0 {
		parts = 1
	}
	t, _ := s.Book.Table()
	_, price, _ := t.Lookup(p.PhoneNumber)
	country := ""
	if c, err := smsgw.CountryOf(p.PhoneNumber); err == nil {
		country = c.Region
	}
	r := SpendRecord{MessageID: p.MessageID, At: at, Modem: p.Modem, Country: country, Campaign: p.Campaign,
		Parts: parts, Price: price, Currency: t.Currency()}
	if err := s.Store.RecordSpend(ctx, r); err != nil {
		return fmt.Errorf("campaign: record spend of message %s: %w", p.MessageID, err)
	}
	return nil
}
