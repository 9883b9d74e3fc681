package campaign_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/campaign"
	"smsgw/queue"
	"smsgw/store/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func money(s string) *campaign.Money {
	m, err := campaign.ParseMoney(s)
	if err != nil {
		panic(err)
	}
	return &m
}

// rig is the budget machinery over a real store: the tariffs, the
// ledger and the spend recorder as the daemon builds them.
type rig struct {
	st     *sqlite.Store
	book   *campaign.PriceBook
	ts     *campaign.Tariffs
	ledger *campaign.Ledger
	rec    *campaign.SpendRecorder
	clk    *clock
	next   int
}

func newRig(t *testing.T, path string, clk *clock, config []campaign.Tariff) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(path, queue.Options{}, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	book, err := campaign.NewPriceBook(ctx, []campaign.Price{{PricePerPart: 100000, Currency: "EUR"}, {Prefix: "49", PricePerPart: 75000, Currency: "EUR"}}, st)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := campaign.NewTariffs(ctx, book, config, st)
	if err != nil {
		t.Fatal(err)
	}
	l, err := campaign.NewLedger(ctx, campaign.LedgerOptions{Tariffs: ts, Totals: st, Events: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{st: st, book: book, ts: ts, ledger: l, clk: clk,
		rec: &campaign.SpendRecorder{Book: book, Store: st, Tariffs: ts, Ledger: l}}
}

// sent records an sms:sent event as the outbox hands it to the recorder.
func (r *rig) sent(t *testing.T, modem, to string, parts int) {
	t.Helper()
	r.next++
	p, _ := json.Marshal(map[string]any{"messageId": strconv.Itoa(r.next + 1000*int(r.clk.Now().Unix()%1000)), "phoneNumber": to, "modem": modem,
		"partsCount": parts, "sentAt": r.clk.Now().UTC().Format(time.RFC3339)})
	if err := r.rec.Record(context.Background(), smsgw.Event{Event: smsgw.EventSent, Payload: p, Created: r.clk.Now()}); err != nil {
		t.Fatal(err)
	}
}

func budgetEvents(t *testing.T, st *sqlite.Store) []campaign.BudgetEvent {
	t.Helper()
	evs, err := st.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []campaign.BudgetEvent
	for _, e := range evs {
		if e.Type != queue.EventBudgetPaused && e.Type != queue.EventBudgetResumed {
			continue
		}
		var be campaign.BudgetEvent
		if err := json.Unmarshal(e.Data, &be); err != nil {
			t.Fatal(err)
		}
		if be.Paused != (e.Type == queue.EventBudgetPaused) {
			t.Fatalf("event %s carries paused=%v", e.Type, be.Paused)
		}
		out = append(out, be)
	}
	return out
}

// TestTariffPricesAndFreeParts: a modem's own table prices its parts, its
// first N parts of the month cost nothing (split inside a message), other
// modems pay the global table, and spend says so.
func TestTariffPricesAndFreeParts(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	r := newRig(t, filepath.Join(t.TempDir(), "db"), clk, []campaign.Tariff{{Modem: "sim1", FreePartsPerMonth: 3,
		Prices: []campaign.Price{{PricePerPart: 50000, Currency: "EUR"}, {Prefix: "49", PricePerPart: 20000, Currency: "EUR"}}}})
	r.sent(t, "sim1", "+4915100000001", 2) // free
	r.sent(t, "sim1", "+4915100000002", 2) // 1 free, 1 at 0.02
	r.sent(t, "sim1", "+33612345678", 1)   // 0.05
	r.sent(t, "sim2", "+4915100000003", 1) // global: 0.075
	lines, err := r.st.Spend(context.Background(), "modem", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Key != "sim1" || lines[0].Parts != 5 || lines[0].FreeParts != 3 || lines[0].Cost.String() != "0.07" ||
		lines[1].Cost.String() != "0.075" || lines[1].FreeParts != 0 {
		t.Fatalf("spend %+v", lines)
	}
	u := r.ledger.Usage("sim1")
	if u.MonthParts != 5 || u.FreePartsLeft != 0 || u.MonthCost.String() != "0.07" || u.DayCost.String() != "0.07" || u.Currency != "EUR" || u.Paused != "" {
		t.Fatalf("usage %+v", u)
	}
	// Quote prices for the pinned modem come from its table.
	if _, p, ok := r.ts.Table("sim1").Lookup("+4915199999999"); !ok || p.String() != "0.02" {
		t.Fatalf("sim1 table: %v %v", p, ok)
	}
	if _, p, _ := r.ts.Table("sim2").Lookup("+4915199999999"); p.String() != "0.075" {
		t.Fatalf("sim2 table: %v", p)
	}
}

// TestBudgetCaps: the day cap is reached, the modem is blocked with a
// reason and an event; raising it resumes (event, the waiting channel
// closed); the next day starts afresh; the month cap holds across days;
// a restart reads the spend back from the store.
func TestBudgetCaps(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "db")
	r := newRig(t, path, clk, []campaign.Tariff{{Modem: "sim1", BudgetDay: money("0.25"), BudgetMonth: money("0.60")}})
	if reason, _, _ := r.ledger.Blocked(ctx, "sim1"); reason != "" {
		t.Fatalf("blocked before any spend: %s", reason)
	}
	r.sent(t, "sim1", "+33612345678", 2) // 0.20
	_, _, changed := r.ledger.Blocked(ctx, "sim1")
	r.sent(t, "sim1", "+33612345678", 1) // 0.30: over the day's 0.25
	reason, until, _ := r.ledger.Blocked(ctx, "sim1")
	if reason == "" || !until.Equal(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("over the day cap: %q until %v", reason, until)
	}
	select {
	case <-changed:
	default:
		t.Fatal("the pause did not wake the waiters")
	}
	if other, _, _ := r.ledger.Blocked(ctx, "sim2"); other != "" {
		t.Fatalf("another modem blocked: %s", other)
	}
	evs := budgetEvents(t, r.st)
	if len(evs) != 1 || !evs[0].Paused || evs[0].Cap != campaign.CapDay || evs[0].Spent.String() != "0.30" || evs[0].Budget.String() != "0.25" || evs[0].Currency != "EUR" {
		t.Fatalf("events %+v", evs)
	}
	// Raising the cap resumes at once.
	_, _, changed = r.ledger.Blocked(ctx, "sim1")
	if _, err := r.ts.Set(ctx, campaign.Tariff{Modem: "sim1", BudgetDay: money("0.50"), BudgetMonth: money("0.60")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("raising the cap did not wake the waiters")
	}
	if reason, _, _ := r.ledger.Blocked(ctx, "sim1"); reason != "" {
		t.Fatalf("still blocked after the raise: %s", reason)
	}
	if evs := budgetEvents(t, r.st); len(evs) != 2 || evs[1].Paused || evs[1].Cap != campaign.CapDay {
		t.Fatalf("events after the raise %+v", evs)
	}
	r.sent(t, "sim1", "+33612345678", 2) // 0.50 today
	if reason, _, _ := r.ledger.Blocked(ctx, "sim1"); reason == "" {
		t.Fatal("not blocked at 0.50 of 0.50")
	}
	// The next day: the day cap lets go (an event says so) ...
	clk.Set(time.Date(2026, 12, 8, 0, 0, 1, 0, time.UTC))
	if reason, _, _ := r.ledger.Blocked(ctx, "sim1"); reason != "" {
		t.Fatalf("blocked on a new day: %s", reason)
	}
	if evs := budgetEvents(t, r.st); len(evs) != 4 || evs[3].Paused {
		t.Fatalf("events on a new day %+v", evs)
	}
	// ... until the month's 0.60 is reached, which holds the next day too.
	r.sent(t, "sim1", "+33612345678", 1)
	clk.Set(time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC))
	reason, until, _ = r.ledger.Blocked(ctx, "sim1")
	if reason == "" || !until.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("month cap: %q until %v", reason, until)
	}
	// A restart reads the month back from the spend table.
	r.st.Close(ctx)
	r2 := newRig(t, path, clk, []campaign.Tariff{{Modem: "sim1", BudgetDay: money("0.50"), BudgetMonth: money("0.60")}})
	if u := r2.ledger.Usage("sim1"); u.MonthCost.String() != "0.60" || u.Paused != campaign.CapMonth || u.DayCost != 0 {
		t.Fatalf("after a restart: %+v", u)
	}
	// The API's tariff survived the restart; deleting it brings the
	// configuration's back; deleting one the API never set is not found.
	if ti, _ := r2.ts.Tariff("sim1"); ti.Source != campaign.SourceAPI || ti.BudgetDay.String() != "0.50" {
		t.Fatalf("after a restart: %+v", ti)
	}
	if _, err := r2.ts.Set(ctx, campaign.Tariff{Modem: "sim1"}); err != nil {
		t.Fatal(err)
	}
	if reason, _, _ := r2.ledger.Blocked(ctx, "sim1"); reason != "" {
		t.Fatalf("blocked without caps: %s", reason)
	}
	if err := r2.ts.Delete(ctx, "sim1"); err != nil {
		t.Fatal(err)
	}
	if ti, _ := r2.ts.Tariff("sim1"); ti.Source != campaign.SourceConfig {
		t.Fatalf("after delete: %+v", ti)
	}
	if reason, _, _ := r2.ledger.Blocked(ctx, "sim1"); reason == "" {
		t.Fatal("the configuration's cap is not back")
	}
	if err := r2.ts.Delete(ctx, "sim1"); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestTariffValidation(t *testing.T) {
	neg := campaign.Money(-1)
	for field, tf := range map[string]campaign.Tariff{
		"modem":                campaign.Tariff{},
		"free_parts_per_month": {Modem: "a", FreePartsPerMonth: -1},
		"budget_day":           {Modem: "a", BudgetDay: &neg},
		"budget_month":         {Modem: "a", BudgetMonth: &neg},
		"prices[2].currency":   {Modem: "a", Prices: []campaign.Price{{Currency: "EUR"}, {Prefix: "1", Currency: "USD"}}},
	} {
		err := campaign.CheckTariff(tf)
		te, ok := err.(*campaign.TariffError)
		if !ok || te.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

// TestBudgetSentThenRecorded: a message counted when it went out holds
// the cap at once, and its record later does not count it again.
func TestBudgetSentThenRecorded(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	r := newRig(t, filepath.Join(t.TempDir(), "db"), clk, []campaign.Tariff{{Modem: "sim1", FreePartsPerMonth: 1, BudgetDay: money("0.10")}})
	r.ledger.Sent("sim1", 1001, "+33612345678", 2, "") // one free, one at 0.10
	if reason, _, _ := r.ledger.Blocked(ctx, "sim1"); reason == "" {
		t.Fatal("the message sent did not reach the cap at once")
	}
	r.next = 0 // the recorder's next message id is 1001
	r.clk.Set(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	p, _ := json.Marshal(map[string]any{"messageId": "1001", "phoneNumber": "+33612345678", "modem": "sim1", "partsCount": 2, "sentAt": clk.Now().Format(time.RFC3339)})
	if err := r.rec.Record(ctx, smsgw.Event{Event: smsgw.EventSent, Payload: p}); err != nil {
		t.Fatal(err)
	}
	if u := r.ledger.Usage("sim1"); u.DayCost.String() != "0.10" || u.MonthParts != 2 || u.FreePartsLeft != 0 {
		t.Fatalf("usage after the record %+v", u)
	}
	if evs := budgetEvents(t, r.st); len(evs) != 1 || !evs[0].Paused {
		t.Fatalf("events %+v", evs)
	}
}
