package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"smsgw"
)

// A campaign's budget caps what its messages may cost in all (the spend
// recorded for them, each at the price it was sent at). The BudgetGate is
// the feeder's gate for it: once the spend reaches the budget, the feeder
// pauses the campaign with a reason starting with ReasonBudget, which holds
// its queued messages (nothing is dropped); SetCampaignBudget raising the
// budget resumes it.

// ReasonBudget starts the reason of a campaign paused by its budget.
const ReasonBudget = "budget"

// BudgetStore changes a campaign's budget.
type BudgetStore interface {
	// SetCampaignBudget sets (nil: removes) the budget of a campaign.
	SetCampaignBudget(ctx context.Context, id string, budget *Money) (Campaign, error)
}

// BudgetGate pauses a campaign whose spend reached its budget. Its Wake,
// when set, is called as soon as a message sent brings a campaign with a
// budget to it, so the feeder pauses it at once rather than at its next
// pass.
type BudgetGate struct {
	Ledger *Ledger
	Events BudgetEvents // nil: no events
	Wake   func()

	mu      sync.Mutex
	budgets map[string]Money // the budgets of the campaigns seen, for Wake
	once    sync.Once
}

func (g *BudgetGate) init() {
	g.once.Do(func() {
		g.mu.Lock()
		g.budgets = map[string]Money{}
		g.mu.Unlock()
		g.Ledger.OnCampaign(func(id string, spent Money) {
			g.mu.Lock()
			b, ok := g.budgets[id]
			g.mu.Unlock()
			if ok && spent >= b && g.Wake != nil {
				g.Wake()
			}
		})
	})
}

func (g *BudgetGate) currency() string {
	if g.Ledger == nil || g.Ledger.tariffs == nil {
		return ""
	}
	return g.Ledger.tariffs.Table("").Currency()
}

// Quota pauses c when its spend reached its budget; otherwise it does not
// limit the feed.
func (g *BudgetGate) Quota(ctx context.Context, c Campaign, now time.Time) (Quota, error) {
	g.init()
	if c.Budget == nil {
		g.mu.Lock()
		delete(g.budgets, c.ID)
		g.mu.Unlock()
		return Quota{N: Unlimited}, nil
	}
	g.mu.Lock()
	g.budgets[c.ID] = *c.Budget
	g.mu.Unlock()
	spent := g.Ledger.CampaignSpent(c.ID)
	if spent < *c.Budget {
		return Quota{N: Unlimited}, nil
	}
	cur := g.currency()
	reason := fmt.Sprintf("%s: the campaign's budget of %s %s is reached: %s %s spent", ReasonBudget, c.Budget, cur, spent, cur)
	if g.Events != nil {
		b := *c.Budget
		if err := g.Events.AppendBudgetEvent(ctx, BudgetEvent{Campaign: c.ID, Paused: true, Cap: "campaign", Budget: &b,
			Spent: spent, Currency: cur, Reason: reason, At: now.UTC()}); err != nil {
			return Quota{}, fmt.Errorf("campaign %s: budget event: %w", c.ID, err)
		}
	}
	return Quota{Pause: reason}, nil
}

// Admit lets every recipient go: the budget holds the campaign as a whole.
func (g *BudgetGate) Admit(c Campaign, t Target, now time.Time) Decision {
	return Decision{Now: true}
}

// Fed is not needed: spend is counted as messages go out.
func (g *BudgetGate) Fed(c Campaign, ts []Target, now time.Time) {}

// BudgetSetter changes campaigns' budgets (SetCampaignBudget over its
// parts), for the API.
type BudgetSetter struct {
	Store   Store
	Budgets BudgetStore
	Gate    *BudgetGate
	Wake    func()
}

// SetBudget is SetCampaignBudget.
func (b BudgetSetter) SetBudget(ctx context.Context, id string, budget *Money) (Campaign, error) {
	return SetCampaignBudget(ctx, struct {
		Store
		BudgetStore
	}{b.Store, b.Budgets}, b.Gate, id, budget, b.Wake)
}

// SetCampaignBudget changes a campaign's budget (nil: none; negative is a
// *ValidationError) and, when the campaign is paused by its budget and the
// new one is not reached, resumes it: its held messages are released, a
// budget:resumed event says so, and wake (when set: the feeder's Wake)
// makes the feeder go on at once.
func SetCampaignBudget(ctx context.Context, st interface {
	Store
	BudgetStore
}, g *BudgetGate, id string, budget *Money, wake func()) (Campaign, error) {
	if budget != nil && *budget < 0 {
		return Campaign{}, invalid("budget", "a budget cannot be negative")
	}
	c, err := st.SetCampaignBudget(ctx, id, budget)
	if err != nil {
		return Campaign{}, err
	}
	if c.State != StatePaused || !strings.HasPrefix(c.Reason, ReasonBudget+":") {
		return c, nil
	}
	spent := Money(0)
	if g != nil && g.Ledger != nil {
		spent = g.Ledger.CampaignSpent(id)
	}
	if budget != nil && spent >= *budget {
		return c, nil
	}
	if c, err = st.ResumeCampaign(ctx, id); err != nil {
		if errors.Is(err, smsgw.ErrConflict) {
			return st.Campaign(ctx, id)
		}
		return Campaign{}, err
	}
	if g != nil && g.Events != nil {
		if err := g.Events.AppendBudgetEvent(ctx, BudgetEvent{Campaign: id, Paused: false, Cap: "campaign", Budget: budget,
			Spent: spent, Currency: g.currency(), Reason: "the campaign's budget is no longer reached", At: time.Now().UTC()}); err != nil {
			return c, fmt.Errorf("campaign %s: budget event: %w", id, err)
		}
	}
	if wake != nil {
		wake()
	}
	return c, nil
}
