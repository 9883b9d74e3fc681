package campaign

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Money is an amount in millionths of the currency's unit. Prices per part
// are often fractions of a cent; kept as integers they add up exactly,
// whatever the number of parts. In JSON and CSV it is a decimal string
// ("0.075"), never a float.
type Money int64

// MoneyScale is how many Money make one unit of a currency.
const MoneyScale = 1000000

// ParseMoney reads a non-negative decimal with at most 6 decimals ("0.075",
// "12", "1.5").
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 6 || len(whole) > 12 {
		return 0, fmt.Errorf("%q is not an amount: use a decimal such as 0.075 (at most 6 decimals)", clipStr(s, 40))
	}
	for _, p := range []string{whole, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, fmt.Errorf("%q is not an amount: use a decimal such as 0.075 (at most 6 decimals)", clipStr(s, 40))
			}
		}
	}
	var w, f int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	}
	return Money(w*MoneyScale + f), nil
}

// String writes m as a decimal with at least two decimals ("0.075", "1.50").
func (m Money) String() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := fmt.Sprintf("%d.%06d", int64(m)/MoneyScale, int64(m)%MoneyScale)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes the decimal string.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// UnmarshalJSON reads a decimal string, or a JSON number read as written
// (never through a float).
func (m *Money) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Price is one row of a price table: the price of one SMS part to the
// numbers starting with Prefix (E.164 digits without '+'; empty: the
// default for every other number).
type Price struct {
	Prefix       string `json:"prefix"`
	PricePerPart Money  `json:"price_per_part"`
	Currency     string `json:"currency"`
}

// MaxPrices bounds a price table's rows.
const MaxPrices = 10000

// PriceTable finds the price of a part to a number: the longest matching
// prefix wins, else the default. One table has one currency.
type PriceTable struct {
	currency string
	rows     []Price // sorted by prefix
	byPrefix map[string]Money
	maxLen   int
}

// PriceError is a bad price row.
type PriceError struct {
	Row    int // 1-based row (CSV: the line)
	Field  string
	Reason string
}

func (e *PriceError) Error() string {
	return fmt.Sprintf("price row %d, %s: %s", e.Row, e.Field, e.Reason)
}

// NewPriceTable checks rows and builds the table. A prefix may be written
// with a leading '+'; a currency is an ISO 4217 code, the same on every
// row; a prefix appears once.
func NewPriceTable(rows []Price) (*PriceTable, error) {
	if len(rows) > MaxPrices {
		return nil, &PriceError{Row: MaxPrices + 1, Field: "prefix", Reason: fmt.Sprintf("a price table has at most %d rows", MaxPrices)}
	}
	t := &PriceTable{byPrefix: make(map[string]Money, len(rows))}
	for i, r := range rows {
		p := strings.TrimPrefix(strings.TrimSpace(r.Prefix), "+")
		if len(p) > 15 || strings.Trim(p, "0123456789") != "" || strings.HasPrefix(p, "0") {
			return nil, &PriceError{Row: i + 1, Field: "prefix", Reason: fmt.Sprintf("%q is not an E.164 prefix (up to 15 digits, not starting with 0; empty for the default)", clipStr(r.Prefix, 40))}
		}
		cur := strings.ToUpper(strings.TrimSpace(r.Currency))
		if len(cur) != 3 || strings.Trim(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, &PriceError{Row: i + 1, Field: "currency", Reason: fmt.Sprintf("%q is not an ISO 4217 currency code such as EUR", clipStr(r.Currency, 40))}
		}
		if t.currency == "" {
			t.currency = cur
		} else if cur != t.currency {
			return nil, &PriceError{Row: i + 1, Field: "currency", Reason: fmt.Sprintf("one table has one currency: %s here, %s before", cur, t.currency)}
		}
		if r.PricePerPart < 0 {
			return nil, &PriceError{Row: i + 1, Field: "price_per_part", Reason: "a price cannot be negative"}
		}
		if _, dup := t.byPrefix[p]; dup {
			return nil, &PriceError{Row: i + 1, Field: "prefix", Reason: fmt.Sprintf("prefix %q appears twice", p)}
		}
		t.byPrefix[p] = r.PricePerPart
		t.rows = append(t.rows, Price{Prefix: p, PricePerPart: r.PricePerPart, Currency: cur})
		if len(p) > t.maxLen {
			t.maxLen = len(p)
		}
	}
	sort.Slice(t.rows, func(i, j int) bool { return t.rows[i].Prefix < t.rows[j].Prefix })
	return t, nil
}

// Currency is the table's currency ("" for an empty table).
func (t *PriceTable) Currency() string { return t.currency }

// Rows returns the table's rows, by prefix (the default first).
func (t *PriceTable) Rows() []Price { return append([]Price{}, t.rows...) }

// Lookup returns the price of one part to the E.164 number and the prefix
// that set it ("" for the default); ok is false when no row matches and
// there is no default.
func (t *PriceTable) Lookup(e164 string) (prefix string, price Money, ok bool) {
	d := strings.TrimPrefix(e164, "+")
	for n := min(len(d), t.maxLen); n >= 0; n-- {
		if p, found := t.byPrefix[d[:n]]; found {
			return d[:n], p, true
		}
	}
	return "", 0, false
}

// ParsePriceCSV reads a price table in CSV: the header
// prefix,price_per_part,currency (in any order), one row per prefix; an
// empty prefix is the default. Errors name the line.
func ParsePriceCSV(r io.Reader) ([]Price, error) {
	cr := csv.NewReader(io.LimitReader(r, 8<<20))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	var pe *csv.ParseError
	if err != nil && !errors.Is(err, io.EOF) && !errors.As(err, &pe) {
		return nil, err // the body, not the CSV
	}
	if err != nil {
		return nil, &PriceError{Row: 1, Field: "header", Reason: "the header prefix,price_per_part,currency is required"}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, k := range []string{"prefix", "price_per_part", "currency"} {
		if _, ok := col[k]; !ok || len(head) != 3 {
			return nil, &PriceError{Row: 1, Field: "header", Reason: "the header must be prefix,price_per_part,currency"}
		}
	}
	var rows []Price
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			line := len(rows) + 2
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			} else {
				return nil, err // the body, not the CSV
			}
			return nil, &PriceError{Row: line, Field: "csv", Reason: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 3 {
			return nil, &PriceError{Row: line, Field: "csv", Reason: fmt.Sprintf("%d columns, the header has 3", len(rec))}
		}
		m, err := ParseMoney(rec[col["price_per_part"]])
		if err != nil {
			return nil, &PriceError{Row: line, Field: "price_per_part", Reason: err.Error()}
		}
		rows = append(rows, Price{Prefix: rec[col["prefix"]], PricePerPart: m, Currency: rec[col["currency"]]})
		if len(rows) > MaxPrices {
			return nil, &PriceError{Row: line, Field: "prefix", Reason: fmt.Sprintf("a price table has at most %d rows", MaxPrices)}
		}
	}
}

// PriceStore keeps the price table set through the API.
type PriceStore interface {
	// Prices returns the stored table; ok is false when none was ever set.
	Prices(ctx context.Context) (rows []Price, ok bool, err error)
	// SetPrices replaces the stored table.
	SetPrices(ctx context.Context, rows []Price) error
}

// PriceBook is the table in force: the one set through the API (kept in
// the store) when there is one, else the configuration's.
type PriceBook struct {
	mu     sync.RWMutex
	table  *PriceTable
	source string
	store  PriceStore
}

// Price table sources.
const (
	SourceConfig = "config"
	SourceAPI    = "api"
)

// NewPriceBook builds the book from the configuration's rows and the
// store's table, which wins when set. st may be nil (nothing kept).
func NewPriceBook(ctx context.Context, config []Price, st PriceStore) (*PriceBook, error) {
	b := &PriceBook{store: st, source: SourceConfig}
	t, err := NewPriceTable(config)
	if err != nil {
		return nil, err
	}
	b.table = t
	if st != nil {
		rows, ok, err := st.Prices(ctx)
		if err != nil {
			return nil, fmt.Errorf("campaign: stored prices: %w", err)
		}
		if ok {
			if t, err = NewPriceTable(rows); err != nil {
				return nil, fmt.Errorf("campaign: stored prices: %w", err)
			}
			b.table, b.source = t, SourceAPI
		}
	}
	return b, nil
}

// Table returns the table in force and where it came from.
func (b *PriceBook) Table() (*PriceTable, string) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.table, b.source
}

// Set checks rows, stores them and puts them in force.
func (b *PriceBook) Set(ctx context.Context, rows []Price) (*PriceTable, error) {
	t, err := NewPriceTable(rows)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.store != nil {
		if err := b.store.SetPrices(ctx, t.Rows()); err != nil {
			return nil, fmt.Errorf("campaign: store prices: %w", err)
		}
	}
	b.table, b.source = t, SourceAPI
	return t, nil
}
