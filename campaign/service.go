package campaign

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"smsgw"
	"smsgw/consent"
	"smsgw/modem/pdu"
)

// OptOutLister pages through the numbers standing opted out
// (consent.Store has it).
type OptOutLister interface {
	OptOuts(ctx context.Context, after string, limit int) ([]consent.Status, error)
}

// Service is what the API does with campaigns: create, quote, launch,
// pause, resume, cancel, clone and read them. It is safe for concurrent
// use.
type Service struct {
	Store    Store
	Expander Expander
	// Prices quotes; nil: quotes fail with ErrNoPrices.
	Prices *PriceBook
	// OptOuts, when set, makes a marketing quote skip opted-out numbers.
	OptOuts OptOutLister
	// Feeder is woken when a campaign is launched or resumed; nil: none.
	Feeder *Feeder
	// Zone is the zone a repeat rule without its own is read in (nil:
	// UTC).
	Zone *time.Location
	Now  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) zone() *time.Location {
	if s.Zone != nil {
		return s.Zone
	}
	return time.UTC
}

func (s *Service) wake() {
	if s.Feeder != nil {
		s.Feeder.Wake()
	}
}

// Create validates sp, checks that every group and contact it names
// exists, and stores it as a draft.
func (s *Service) Create(ctx context.Context, sp Spec) (Campaign, error) {
	if err := sp.Normalize(s.now(), s.zone()); err != nil {
		return Campaign{}, err
	}
	if err := s.checkAudience(ctx, sp.Audience); err != nil {
		return Campaign{}, err
	}
	return s.Store.AddCampaign(ctx, sp)
}

// checkAudience resolves the groups and contacts an audience names and
// reads the CSV's header, without expanding anything.
func (s *Service) checkAudience(ctx context.Context, a Audience) error {
	x := s.Expander
	if len(a.Groups)+len(a.Contacts) > 0 && x.Contacts == nil {
		return &AudienceError{Field: "audience", Reason: "contacts are not available in this process"}
	}
	for _, g := range a.Groups {
		if _, err := x.Contacts.Group(ctx, g); err != nil {
			if errors.Is(err, smsgw.ErrNotFound) {
				return &AudienceError{Field: "audience.groups", Reason: fmt.Sprintf("no group %q", clipStr(g, 80))}
			}
			return fmt.Errorf("campaign: group %q: %w", clipStr(g, 80), err)
		}
	}
	for _, c := range a.Contacts {
		if _, err := x.contactsNamed(ctx, c); err != nil {
			return err
		}
	}
	if strings.TrimSpace(a.CSV) != "" {
		if !utf8.ValidString(a.CSV) {
			return &AudienceError{Field: "audience.csv", Reason: "the CSV is not valid UTF-8"}
		}
		// Only the header: rows are checked one by one at the launch.
		if err := checkCSVHeader(a.CSV); err != nil {
			return err
		}
	}
	return nil
}

// checkCSVHeader checks the header row of an audience CSV.
func checkCSVHeader(body string) error {
	cr := csv.NewReader(strings.NewReader(body))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return &AudienceError{Field: "audience.csv", Reason: "the header row cannot be read: " + err.Error()}
	}
	_, _, _, err = csvColumns(header)
	return err
}

// Get returns a campaign with its live counts and cost.
func (s *Service) Get(ctx context.Context, id string) (Campaign, error) {
	return s.Store.Campaign(ctx, id)
}

// List lists campaigns newest first.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Campaign, error) {
	return s.Store.Campaigns(ctx, f)
}

// Launch starts a draft: running at once, or scheduled until its first
// run. The feeder expands and queues its audience in the background.
func (s *Service) Launch(ctx context.Context, id string) (Campaign, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State != StateDraft {
		return c, fmt.Errorf("campaign %s is %s; only a draft can be launched (clone it to send it again): %w", id, c.State, smsgw.ErrConflict)
	}
	now := s.now()
	to := StateRunning
	if first, err := c.Timing.FirstRun(now, s.zone()); err == nil && first.After(now) {
		to = StateScheduled
	}
	c, err = s.Store.SetCampaignState(ctx, id, []State{StateDraft}, to, "")
	if err != nil {
		return c, err
	}
	s.wake()
	return c, nil
}

// Pause stops feeding a running or scheduled campaign and holds its
// queued messages.
func (s *Service) Pause(ctx context.Context, id string) (Campaign, error) {
	return s.Store.PauseCampaign(ctx, id, "paused")
}

// Resume goes on with a paused campaign.
func (s *Service) Resume(ctx context.Context, id string) (Campaign, error) {
	c, err := s.Store.ResumeCampaign(ctx, id)
	if err == nil {
		s.wake()
	}
	return c, err
}

// Cancel cancels what of a campaign is not sent yet.
func (s *Service) Cancel(ctx context.Context, id string) (Campaign, error) {
	return s.Store.CancelCampaign(ctx, id)
}

// Clone copies a campaign's definition as a new draft (a send time
// already past is left out).
func (s *Service) Clone(ctx context.Context, id string) (Campaign, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return c, err
	}
	sp := c.Spec
	name := []rune(sp.Name + " (copy)")
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
	}
	sp.Name = string(name)
	if sp.SendAt != nil && sp.SendAt.Before(s.now()) {
		sp.SendAt = nil
	}
	if err := sp.Normalize(s.now(), s.zone()); err != nil {
		return Campaign{}, err
	}
	return s.Store.AddCampaign(ctx, sp)
}

// Recipients pages through a campaign's recipients and their outcome.
func (s *Service) Recipients(ctx context.Context, id string, after int64, limit int) ([]RecipientResult, int64, error) {
	return s.Store.Targets(ctx, id, after, limit)
}

// ErrNoPrices: quotes need a price book.
var ErrNoPrices = errors.New("campaign: no price table in this process")

// Quote prices a campaign's audience as it stands now: per recipient
// parts, coding and price, totals by country, and who would be skipped
// and why. It sends nothing.
func (s *Service) Quote(ctx context.Context, id string) (Quote, error) {
	c, err := s.Store.Campaign(ctx, id)
	if err != nil {
		return Quote{}, err
	}
	if s.Prices == nil {
		return Quote{}, ErrNoPrices
	}
	tpl, err := ParseTemplate(c.Template)
	if err != nil {
		return Quote{}, &AudienceError{Field: "template", Reason: err.Error()}
	}
	table, _ := s.Prices.Table()
	qb := NewQuoter(tpl, c.SmartEncoding, pdu.CodingAuto, table)
	var optedOut map[string]bool
	if c.Category == smsgw.CategoryMarketing && s.OptOuts != nil {
		optedOut = map[string]bool{}
		after := ""
		for {
			page, err := s.OptOuts.OptOuts(ctx, after, 1000)
			if err != nil {
				return Quote{}, fmt.Errorf("campaign: opt-outs: %w", err)
			}
			for _, st := range page {
				optedOut[st.Number] = true
			}
			if len(page) < 1000 {
				break
			}
			after = page[len(page)-1].Number
		}
	}
	err = s.Expander.Expand(ctx, c.Spec, func(ts []Target) error {
		for _, t := range ts {
			switch {
			case t.State == RecipientSkipped:
				qb.Skip(t.Number, t.Reason)
			case optedOut[t.Number]:
				qb.Skip(t.Number, SkipSuppressed+": the number opted out")
			default:
				qb.Add(Recipient{Number: t.Number, Name: t.Name, Fields: t.Fields})
			}
		}
		return nil
	})
	if err != nil {
		return Quote{}, err
	}
	return qb.Result(), nil
}
