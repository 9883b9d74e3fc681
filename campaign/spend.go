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
	// FreePerMonth is the modem's monthly free parts: the store makes
	// free the parts of this message that fall within the first
	// FreePerMonth the modem sent in the message's calendar month (UTC).
	FreePerMonth int
}

// SpendLine totals one group of a spend report.
type SpendLine struct {
	Key      string `json:"key"` // the day (YYYY-MM-DD, UTC), modem, campaign or country
	Messages int    `json:"messages"`
	Parts    int    `json:"parts"`
	// FreeParts are the parts sent free (a modem's monthly allowance).
	FreeParts int    `json:"free_parts"`
	Cost      Money  `json:"cost"`
	Currency  string `json:"currency"`
}

// Spend groupings.
var SpendBy = []string{"day", "modem", "campaign", "country"}

// SpendStore keeps what sent messages cost.
type SpendStore interface {
	// RecordSpend keeps r and returns how many of its parts were free
	// (see SpendRecord.FreePerMonth); a message already recorded is left
	// as it was (an event delivered twice counts once) and recorded is
	// false.
	RecordSpend(ctx context.Context, r SpendRecord) (free int, recorded bool, err error)
	// Spend totals the records in [since, until) (zero: unbounded) by one
	// of SpendBy.
	Spend(ctx context.Context, by string, since, until time.Time) ([]SpendLine, error)
}

// SpendRecorder turns sms:sent events into spend records at the price in
// force when the event is handled, right after the send: the sending
// modem's own tariff when it has one, else the price book.
type SpendRecorder struct {
	Book  *PriceBook
	Store SpendStore
	// Tariffs, when set, prices by the sending modem's tariff and gives
	// its free parts.
	Tariffs *Tariffs
	// Ledger, when set, is told what each message cost (budget caps).
	Ledger *Ledger
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
	var t *PriceTable
	if s.Tariffs != nil {
		t = s.Tariffs.Table(p.Modem)
	} else {
		t, _ = s.Book.Table()
	}
	_, price, _ := t.Lookup(p.PhoneNumber)
	country := ""
	if c, err := smsgw.CountryOf(p.PhoneNumber); err == nil {
		country = c.Region
	}
	r := SpendRecord{MessageID: p.MessageID, At: at, Modem: p.Modem, Country: country, Campaign: p.Campaign,
		Parts: parts, Price: price, Currency: t.Currency(), FreePerMonth: s.Tariffs.FreePerMonth(p.Modem)}
	free, recorded, err := s.Store.RecordSpend(ctx, r)
	if err != nil {
		return fmt.Errorf("campaign: record spend of message %s: %w", p.MessageID, err)
	}
	if recorded && s.Ledger != nil {
		s.Ledger.Add(ctx, p.Modem, p.MessageID, p.Campaign, at, price*Money(parts-free), parts)
	}
	return nil
}
