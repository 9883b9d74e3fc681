package campaign

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Budget caps: a modem whose spend today (UTC) reached its tariff's
// budget_day, or this month's its budget_month, claims no more messages
// until the cap is raised or the period ends. Nothing is dropped: its
// pinned messages stay queued, the others go to the other modems. A
// message that starts below the cap is sent whole, so spend may pass a cap
// by the messages in flight when it is reached.

// Budget caps a modem can be paused by.
const (
	CapDay   = "day"
	CapMonth = "month"
)

// ModemTotal is what one modem sent in a period: the cost (free parts at
// 0) and the parts.
type ModemTotal struct {
	Cost  Money
	Parts int
}

// SpendTotals reads what each modem spent since a time.
type SpendTotals interface {
	// ModemSpend totals the spend recorded at or after since, by modem.
	ModemSpend(ctx context.Context, since time.Time) (map[string]ModemTotal, error)
	// CampaignSpend totals the spend of every campaign's messages.
	CampaignSpend(ctx context.Context) (map[string]Money, error)
}

// BudgetEvent says a modem was paused by a budget cap, or resumed.
type BudgetEvent struct {
	Modem    string    `json:"modem"`
	Campaign string    `json:"campaign,omitempty"`
	Paused   bool      `json:"paused"`
	Cap      string    `json:"cap"` // day or month (campaign for a campaign's budget)
	Budget   *Money    `json:"budget"`
	Spent    Money     `json:"spent"`
	Currency string    `json:"currency"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// BudgetEvents appends budget events to the event outbox.
type BudgetEvents interface {
	AppendBudgetEvent(ctx context.Context, e BudgetEvent) error
}

// Usage is a modem's spend against its tariff now.
type Usage struct {
	Modem         string `json:"modem"`
	Day           string `json:"day"`   // YYYY-MM-DD (UTC)
	Month         string `json:"month"` // YYYY-MM (UTC)
	DayCost       Money  `json:"day_cost"`
	MonthCost     Money  `json:"month_cost"`
	MonthParts    int    `json:"month_parts"`
	FreePartsLeft int    `json:"free_parts_left"`
	Currency      string `json:"currency"`
	// Paused is the cap that holds the modem (day or month), "" when it
	// may send; Reason says it in a sentence.
	Paused string `json:"paused,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Ledger keeps each modem's spend of the current UTC day and month in
// memory, so a modem's claim asks it whether a cap holds without reading
// the spend table. It is loaded once from the store and fed by the spend
// recorder.
type Ledger struct {
	tariffs *Tariffs
	events  BudgetEvents
	log     *slog.Logger
	now     func() time.Time

	mu         sync.Mutex
	dayStart   time.Time
	nextDay    time.Time
	monthStart time.Time
	nextMonth  time.Time
	day        map[string]Money
	month      map[string]ModemTotal
	paused     map[string]string // modem -> cap, as last announced
	changed    chan struct{}
	// counted are the messages Sent counted before the spend recorder
	// recorded them, with what they were counted at: the recorder's Add
	// then corrects the difference instead of counting them again.
	counted map[string]countedMsg
	// campaigns is what each campaign's messages cost in all.
	campaigns  map[string]Money
	onCampaign []func(id string, spent Money)
}

// countedMsg is a message Sent counted, not recorded yet.
type countedMsg struct {
	ModemTotal
	campaign string
}

// LedgerOptions configure a Ledger.
type LedgerOptions struct {
	Tariffs *Tariffs
	Totals  SpendTotals  // read once at start; nil: nothing spent yet
	Events  BudgetEvents // nil: no events
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// NewLedger loads this day's and month's spend and watches the tariffs'
// caps.
func NewLedger(ctx context.Context, o LedgerOptions) (*Ledger, error) {
	l := &Ledger{tariffs: o.Tariffs, events: o.Events, log: o.Logger, now: o.Now,
		paused: map[string]string{}, changed: make(chan struct{}), counted: map[string]countedMsg{}, campaigns: map[string]Money{}}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.roll(l.now())
	if o.Totals != nil {
		m, err := o.Totals.ModemSpend(ctx, l.monthStart)
		if err != nil {
			return nil, fmt.Errorf("campaign: budget: month's spend: %w", err)
		}
		d, err := o.Totals.ModemSpend(ctx, l.dayStart)
		if err != nil {
			return nil, fmt.Errorf("campaign: budget: day's spend: %w", err)
		}
		l.month = m
		for k, v := range d {
			l.day[k] = v.Cost
		}
		cs, err := o.Totals.CampaignSpend(ctx)
		if err != nil {
			return nil, fmt.Errorf("campaign: budget: campaigns' spend: %w", err)
		}
		l.campaigns = cs
	}
	if l.tariffs != nil {
		l.tariffs.OnChange(l.reconcile)
		for _, t := range l.tariffs.All() {
			l.reconcile(ctx, t.Modem)
		}
	}
	return l, nil
}

// roll starts a new day or month when now passed into one. Called with
// mu held (or before l is shared).
func (l *Ledger) roll(now time.Time) bool {
	if !l.nextDay.IsZero() && now.Before(l.nextDay) {
		return false
	}
	u := now.UTC()
	ds := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	ms := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !ds.Equal(l.dayStart) {
		l.dayStart, l.nextDay, l.day = ds, ds.AddDate(0, 0, 1), map[string]Money{}
		// A message counted yesterday and never recorded (its event
		// dropped) is forgotten rather than kept for ever.
		l.counted = map[string]countedMsg{}
	}
	if !ms.Equal(l.monthStart) {
		l.monthStart, l.nextMonth, l.month = ms, ms.AddDate(0, 1, 0), map[string]ModemTotal{}
	}
	return true
}

// Sent counts a message the moment modem sent it, before the modem claims
// its next, at the price its tariff gives (the parts within the month's
// free allowance at 0): the spend recorder records it a little later, and a
// cap must hold from this message on, not a few messages after.
func (l *Ledger) Sent(modem string, id int64, to string, parts int, campaign string) {
	table := l.tariffs.Table(modem)
	_, price, _ := table.Lookup(to)
	free := l.tariffs.FreePerMonth(modem)
	l.mu.Lock()
	l.roll(l.now())
	mt := l.month[modem]
	f := min(max(free-mt.Parts, 0), parts)
	cost := price * Money(parts-f)
	l.day[modem] += cost
	mt.Cost += cost
	mt.Parts += parts
	l.month[modem] = mt
	l.counted[strconv.FormatInt(id, 10)] = countedMsg{ModemTotal{Cost: cost, Parts: parts}, campaign}
	spent, hooks := l.addCampaign(campaign, cost)
	l.mu.Unlock()
	l.reconcile(context.Background(), modem)
	for _, f := range hooks {
		f(campaign, spent)
	}
}

// addCampaign adds cost to campaign's spend, with mu held, and returns the
// spend and the hooks to tell (none for a message of no campaign).
func (l *Ledger) addCampaign(campaign string, cost Money) (Money, []func(string, Money)) {
	if campaign == "" {
		return 0, nil
	}
	l.campaigns[campaign] += cost
	return l.campaigns[campaign], l.onCampaign
}

// OnCampaign registers f, told a campaign's spend each time a message of
// it is counted.
func (l *Ledger) OnCampaign(f func(id string, spent Money)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onCampaign = append(l.onCampaign, f)
}

// CampaignSpent returns what a campaign's messages cost so far.
func (l *Ledger) CampaignSpent(id string) Money {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.campaigns[id]
}

// Add counts a message modem sent at at, as the spend recorder recorded
// it: cost (free parts at 0) and parts. A message Sent counted already is
// corrected to what was recorded; one of an earlier day or month than the
// ledger's counts only in the periods it belongs to.
func (l *Ledger) Add(ctx context.Context, modem, id, campaign string, at time.Time, cost Money, parts int) {
	l.mu.Lock()
	l.roll(l.now())
	if c, ok := l.counted[id]; ok {
		delete(l.counted, id)
		cost -= c.Cost
		parts -= c.Parts
	}
	spent, hooks := l.addCampaign(campaign, cost)
	if !at.Before(l.dayStart) || at.IsZero() {
		l.day[modem] += cost
	}
	if !at.Before(l.monthStart) || at.IsZero() {
		mt := l.month[modem]
		mt.Cost += cost
		mt.Parts += parts
		l.month[modem] = mt
	}
	l.mu.Unlock()
	l.reconcile(ctx, modem)
	for _, f := range hooks {
		f(campaign, spent)
	}
}

// MonthParts returns the parts modem sent this month.
func (l *Ledger) MonthParts(modem string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(l.now())
	return l.month[modem].Parts
}

// blocked says which cap holds modem now ("" none), with mu held.
func (l *Ledger) blocked(modem string) (cap string, budget *Money, spent Money, until time.Time) {
	if l.tariffs == nil {
		return "", nil, 0, time.Time{}
	}
	day, month := l.tariffs.caps(modem)
	if month != nil && l.month[modem].Cost >= *month {
		return CapMonth, month, l.month[modem].Cost, l.nextMonth
	}
	if day != nil && l.day[modem] >= *day {
		return CapDay, day, l.day[modem], l.nextDay
	}
	return "", nil, 0, time.Time{}
}

func (l *Ledger) currency(modem string) string {
	if l.tariffs == nil {
		return ""
	}
	return l.tariffs.Table(modem).Currency()
}

func reasonText(cap string, budget *Money, spent Money, cur string) string {
	if cap == "" {
		return ""
	}
	period := "today"
	if cap == CapMonth {
		period = "this month"
	}
	return fmt.Sprintf("the %s budget of %s %s is reached: %s %s spent %s", cap, budget, cur, spent, cur, period)
}

// reconcile compares modem's state with the one last announced and, on a
// change, wakes the waiting workers and appends an event.
func (l *Ledger) reconcile(ctx context.Context, modem string) {
	l.mu.Lock()
	l.roll(l.now())
	cap, budget, spent, _ := l.blocked(modem)
	was := l.paused[modem]
	if cap == was {
		l.mu.Unlock()
		return
	}
	ev := BudgetEvent{Modem: modem, Paused: cap != "", Cap: cap, Budget: budget, Spent: spent, At: l.now().UTC()}
	if cap == "" {
		delete(l.paused, modem)
		ev.Cap = was
		day, month := l.tariffs.caps(modem)
		if was == CapDay {
			ev.Budget, ev.Spent = day, l.day[modem]
		} else {
			ev.Budget, ev.Spent = month, l.month[modem].Cost
		}
	} else {
		l.paused[modem] = cap
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	ev.Currency = l.currency(modem)
	if ev.Paused {
		ev.Reason = reasonText(cap, budget, spent, ev.Currency)
		l.log.Warn("modem paused by its budget", "modem", modem, "cap", cap, "budget", budget.String(), "spent", spent.String())
	} else {
		ev.Reason = "the " + ev.Cap + " budget is no longer reached"
		l.log.Info("modem resumed: budget no longer reached", "modem", modem, "cap", ev.Cap)
	}
	if l.events != nil {
		if err := l.events.AppendBudgetEvent(ctx, ev); err != nil {
			l.log.Error("budget event not recorded", "modem", modem, "err", err)
		}
	}
}

// Blocked says whether modem may claim a message now: reason is "" when
// it may, else a sentence naming the cap; until is when the cap's period
// ends; changed is closed when a tariff or the spend changed. A modem's
// claim calls it: it reads memory only.
func (l *Ledger) Blocked(ctx context.Context, modem string) (reason string, until time.Time, changed <-chan struct{}) {
	l.mu.Lock()
	rolled := l.roll(l.now())
	cap, budget, spent, until := l.blocked(modem)
	edge := cap != l.paused[modem]
	ch := l.changed
	l.mu.Unlock()
	if edge || rolled {
		// A period ended (or began over a cap): announce it.
		l.reconcile(ctx, modem)
	}
	if cap == "" {
		return "", time.Time{}, ch
	}
	return reasonText(cap, budget, spent, l.currency(modem)), until, ch
}

// Usage returns modem's spend against its tariff now.
func (l *Ledger) Usage(modem string) Usage {
	l.mu.Lock()
	l.roll(l.now())
	u := Usage{Modem: modem, Day: l.dayStart.Format("2006-01-02"), Month: l.monthStart.Format("2006-01"),
		DayCost: l.day[modem], MonthCost: l.month[modem].Cost, MonthParts: l.month[modem].Parts}
	cap, budget, spent, _ := l.blocked(modem)
	l.mu.Unlock()
	u.Currency = l.currency(modem)
	if free := l.tariffs.FreePerMonth(modem); free > u.MonthParts {
		u.FreePartsLeft = free - u.MonthParts
	}
	u.Paused, u.Reason = cap, reasonText(cap, budget, spent, u.Currency)
	return u
}
