package campaign

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"smsgw"
)

// Tariff is one modem's own terms: its SIM's price table (empty: the
// global table's prices), the parts each calendar month (UTC) sends free
// (a bundle), and caps on what it may spend per UTC day and month (nil: no
// cap). Caps are in the currency the modem is charged in: its own table's,
// else the global table's.
type Tariff struct {
	Modem             string  `json:"modem"`
	Prices            []Price `json:"prices"`
	FreePartsPerMonth int     `json:"free_parts_per_month"`
	BudgetDay         *Money  `json:"budget_day"`
	BudgetMonth       *Money  `json:"budget_month"`
}

// MaxFreeParts bounds a tariff's free parts per month.
const MaxFreeParts = 1000000000

// TariffError is a bad tariff: the field (prices[N].field for a price row)
// and why.
type TariffError struct {
	Field  string
	Reason string
}

func (e *TariffError) Error() string { return fmt.Sprintf("tariff %s: %s", e.Field, e.Reason) }

// compiledTariff is a checked tariff with its table (nil: the global one).
type compiledTariff struct {
	t      Tariff
	table  *PriceTable
	source string
}

// checkTariff validates t and builds its price table.
func checkTariff(t Tariff) (*compiledTariff, error) {
	t.Modem = strings.TrimSpace(t.Modem)
	if t.Modem == "" || len(t.Modem) > 64 {
		return nil, &TariffError{Field: "modem", Reason: "a modem id of 1 to 64 characters is required"}
	}
	if t.FreePartsPerMonth < 0 || t.FreePartsPerMonth > MaxFreeParts {
		return nil, &TariffError{Field: "free_parts_per_month", Reason: fmt.Sprintf("free parts per month must be 0 to %d", MaxFreeParts)}
	}
	if t.BudgetDay != nil && *t.BudgetDay < 0 {
		return nil, &TariffError{Field: "budget_day", Reason: "a budget cannot be negative"}
	}
	if t.BudgetMonth != nil && *t.BudgetMonth < 0 {
		return nil, &TariffError{Field: "budget_month", Reason: "a budget cannot be negative"}
	}
	c := &compiledTariff{}
	if len(t.Prices) > 0 {
		tbl, err := NewPriceTable(t.Prices)
		if err != nil {
			var pe *PriceError
			if errors.As(err, &pe) {
				return nil, &TariffError{Field: fmt.Sprintf("prices[%d].%s", pe.Row, pe.Field), Reason: pe.Reason}
			}
			return nil, err
		}
		c.table = tbl
		t.Prices = tbl.Rows()
	} else {
		t.Prices = []Price{}
	}
	c.t = t
	return c, nil
}

// CheckTariff validates a tariff as SetTariff would (a *TariffError when
// it is bad).
func CheckTariff(t Tariff) error {
	_, err := checkTariff(t)
	return err
}

// TariffStore keeps the tariffs set through the API.
type TariffStore interface {
	// Tariffs returns every stored tariff.
	Tariffs(ctx context.Context) ([]Tariff, error)
	// SetTariff adds or replaces the tariff of t.Modem.
	SetTariff(ctx context.Context, t Tariff) error
	// DeleteTariff removes the stored tariff of modem (smsgw.ErrNotFound
	// when there is none).
	DeleteTariff(ctx context.Context, modem string) error
}

// Tariffs are the modems' tariffs in force: the configuration's, each
// replaced by the one set through the API for the same modem. It prices a
// part sent by a modem: by the modem's table when it has one, else by the
// global price book.
type Tariffs struct {
	mu     sync.RWMutex
	book   *PriceBook
	config map[string]*compiledTariff
	byID   map[string]*compiledTariff
	store  TariffStore
	// onChange is told the modem whose tariff changed (the budget ledger
	// re-reads its caps).
	onChange []func(ctx context.Context, modem string)
}

// NewTariffs builds the tariffs from the configuration's and the store's
// (which win per modem). book is the global price table; st may be nil.
func NewTariffs(ctx context.Context, book *PriceBook, config []Tariff, st TariffStore) (*Tariffs, error) {
	ts := &Tariffs{book: book, config: map[string]*compiledTariff{}, byID: map[string]*compiledTariff{}, store: st}
	for i, t := range config {
		c, err := checkTariff(t)
		if err != nil {
			return nil, fmt.Errorf("campaign: tariff %d: %w", i+1, err)
		}
		if _, dup := ts.config[c.t.Modem]; dup {
			return nil, fmt.Errorf("campaign: tariff %d: modem %q has two tariffs", i+1, c.t.Modem)
		}
		c.source = SourceConfig
		ts.config[c.t.Modem], ts.byID[c.t.Modem] = c, c
	}
	if st != nil {
		stored, err := st.Tariffs(ctx)
		if err != nil {
			return nil, fmt.Errorf("campaign: stored tariffs: %w", err)
		}
		for _, t := range stored {
			c, err := checkTariff(t)
			if err != nil {
				return nil, fmt.Errorf("campaign: stored tariff of %q: %w", t.Modem, err)
			}
			c.source = SourceAPI
			ts.byID[c.t.Modem] = c
		}
	}
	return ts, nil
}

// OnChange registers f, called after a modem's tariff changed.
func (ts *Tariffs) OnChange(f func(ctx context.Context, modem string)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.onChange = append(ts.onChange, f)
}

// TariffInfo is a tariff in force and where it came from.
type TariffInfo struct {
	Tariff
	// Currency is the one the modem is charged in (its table's, else the
	// global table's).
	Currency string `json:"currency"`
	Source   string `json:"source"` // config or api
}

func (ts *Tariffs) info(c *compiledTariff) TariffInfo {
	cur := ""
	if c.table != nil {
		cur = c.table.Currency()
	} else if ts.book != nil {
		t, _ := ts.book.Table()
		cur = t.Currency()
	}
	t := c.t
	t.Prices = append([]Price{}, t.Prices...)
	return TariffInfo{Tariff: t, Currency: cur, Source: c.source}
}

// Tariff returns the tariff of modem; ok is false when it has none.
func (ts *Tariffs) Tariff(modem string) (TariffInfo, bool) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	c, ok := ts.byID[modem]
	if !ok {
		return TariffInfo{}, false
	}
	return ts.info(c), true
}

// All returns every tariff in force, by modem.
func (ts *Tariffs) All() []TariffInfo {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	out := make([]TariffInfo, 0, len(ts.byID))
	for _, c := range ts.byID {
		out = append(out, ts.info(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Modem < out[j].Modem })
	return out
}

// Set checks, stores and puts in force the tariff of t.Modem.
func (ts *Tariffs) Set(ctx context.Context, t Tariff) (TariffInfo, error) {
	c, err := checkTariff(t)
	if err != nil {
		return TariffInfo{}, err
	}
	c.source = SourceAPI
	ts.mu.Lock()
	if ts.store != nil {
		if err := ts.store.SetTariff(ctx, c.t); err != nil {
			ts.mu.Unlock()
			return TariffInfo{}, fmt.Errorf("campaign: store tariff: %w", err)
		}
	}
	ts.byID[c.t.Modem] = c
	info := ts.info(c)
	hooks := ts.onChange
	ts.mu.Unlock()
	for _, f := range hooks {
		f(ctx, c.t.Modem)
	}
	return info, nil
}

// Delete removes the tariff set through the API for modem: the
// configuration's, if any, is in force again. smsgw.ErrNotFound when the
// API set none.
func (ts *Tariffs) Delete(ctx context.Context, modem string) error {
	ts.mu.Lock()
	c, ok := ts.byID[modem]
	if !ok || c.source != SourceAPI {
		ts.mu.Unlock()
		return fmt.Errorf("campaign: no tariff of modem %q was set through the API: %w", modem, smsgw.ErrNotFound)
	}
	if ts.store != nil {
		if err := ts.store.DeleteTariff(ctx, modem); err != nil {
			ts.mu.Unlock()
			return fmt.Errorf("campaign: delete tariff: %w", err)
		}
	}
	if cc, ok := ts.config[modem]; ok {
		ts.byID[modem] = cc
	} else {
		delete(ts.byID, modem)
	}
	hooks := ts.onChange
	ts.mu.Unlock()
	for _, f := range hooks {
		f(ctx, modem)
	}
	return nil
}

// Table returns the price table a part sent by modem is priced by: its
// own when its tariff has one, else the global table. modem "" (not
// pinned) is the global table.
func (ts *Tariffs) Table(modem string) *PriceTable {
	if ts != nil && modem != "" {
		ts.mu.RLock()
		c, ok := ts.byID[modem]
		ts.mu.RUnlock()
		if ok && c.table != nil {
			return c.table
		}
	}
	if ts == nil || ts.book == nil {
		t, _ := NewPriceTable(nil)
		return t
	}
	t, _ := ts.book.Table()
	return t
}

// FreePerMonth returns the parts modem sends free each month.
func (ts *Tariffs) FreePerMonth(modem string) int {
	if ts == nil {
		return 0
	}
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if c, ok := ts.byID[modem]; ok {
		return c.t.FreePartsPerMonth
	}
	return 0
}

// caps returns modem's day and month caps (nil: none).
func (ts *Tariffs) caps(modem string) (day, month *Money) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	if c, ok := ts.byID[modem]; ok {
		return c.t.BudgetDay, c.t.BudgetMonth
	}
	return nil, nil
}
