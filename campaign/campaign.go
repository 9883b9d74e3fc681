package campaign

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"smsgw"
	"smsgw/contacts"
)

// State is where a campaign stands.
type State string

// Campaign states. A draft is edited and quoted; launch makes it running
// (or scheduled, until its send time); paused stops the feeding and holds
// its queued messages; finished means every recipient reached a final
// state; cancelled stopped everything not yet sent.
const (
	StateDraft     State = "draft"
	StateScheduled State = "scheduled"
	StateRunning   State = "running"
	StatePaused    State = "paused"
	StateFinished  State = "finished"
	StateCancelled State = "cancelled"
)

// States lists every campaign state.
var States = []State{StateDraft, StateScheduled, StateRunning, StatePaused, StateFinished, StateCancelled}

// Valid reports whether s is a campaign state.
func (s State) Valid() bool {
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}

// Active says whether the feeder works on a campaign in this state.
func (s State) Active() bool { return s == StateRunning || s == StateScheduled }

// Limits on a campaign definition.
const (
	MaxNameLen      = 200
	MaxAudienceRefs = 10000    // groups, contacts and numbers named in the body
	MaxCSVBytes     = 64 << 20 // an uploaded audience
)

// Audience is who a campaign is for: groups and contacts (each by id or
// by name), numbers, and an uploaded CSV (a header row; number required,
// name optional, every other column a field, as a contacts import takes).
type Audience struct {
	Groups   []string `json:"groups,omitempty"`
	Contacts []string `json:"contacts,omitempty"`
	Numbers  []string `json:"numbers,omitempty"`
	CSV      string   `json:"csv,omitempty"`
}

// Empty says whether the audience names nobody.
func (a Audience) Empty() bool {
	return len(a.Groups)+len(a.Contacts)+len(a.Numbers) == 0 && strings.TrimSpace(a.CSV) == ""
}

// Spec is a campaign as its author defines it.
type Spec struct {
	Name     string   `json:"name"`
	Template string   `json:"template"`
	Audience Audience `json:"audience"`
	// Category is marketing unless set: a campaign is marketing by
	// default, so suppressed numbers are skipped.
	Category smsgw.Category `json:"category"`
	// Timing: send_at, the send window, the rate and the repeat rule.
	Timing
	// Modem pins the campaign's messages to one modem; Tags to modems
	// carrying one of the tags.
	Modem string   `json:"modem,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	// DeliveryReport asks for status reports, which the delivered count
	// needs.
	DeliveryReport bool `json:"delivery_report,omitempty"`
	// Priority of the campaign's messages in the queue (default 0; API
	// sends default to 0 too, so use a negative one to let them pass).
	Priority int `json:"priority,omitempty"`
	// SmartEncoding replaces typographic characters by GSM ones.
	SmartEncoding bool `json:"smart_encoding,omitempty"`
	// Budget caps what the campaign's messages may cost in all: once
	// reached, the campaign pauses (reason "budget: ...") with its queued
	// messages held; raising it resumes the campaign. Nil: no cap.
	Budget *Money `json:"budget,omitempty"`
}

// Normalize validates s and fills its defaults; the error is a
// *ValidationError or a *ScheduleError naming the field. now is when the
// campaign is created or changed; def is the zone a repeat rule without
// its own is read in.
func (s *Spec) Normalize(now time.Time, def *time.Location) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return invalid("name", "a campaign needs a name")
	}
	if utf8.RuneCountInString(s.Name) > MaxNameLen || !utf8.ValidString(s.Name) {
		return invalid("name", "a name has at most %d characters of valid UTF-8", MaxNameLen)
	}
	if strings.TrimSpace(s.Template) == "" {
		return invalid("template", "the template is empty")
	}
	if !utf8.ValidString(s.Template) {
		return invalid("template", "the template is not valid UTF-8")
	}
	if _, err := ParseTemplate(s.Template); err != nil {
		return &ValidationError{Field: "template", Reason: err.Error(), Code: "invalid_template"}
	}
	if s.Category == "" {
		s.Category = smsgw.CategoryMarketing
	}
	cat, err := smsgw.ParseCategory(string(s.Category))
	if err != nil {
		return invalid("category", "category must be %q (the default) or %q", smsgw.CategoryMarketing, smsgw.CategoryTransactional)
	}
	s.Category = cat
	a := &s.Audience
	if a.Empty() {
		return invalid("audience", "the audience is empty: give groups, contacts, numbers or csv")
	}
	if n := len(a.Groups) + len(a.Contacts) + len(a.Numbers); n > MaxAudienceRefs {
		return invalid("audience", "%d groups, contacts and numbers named, at most %d (upload larger lists as csv)", n, MaxAudienceRefs)
	}
	if len(a.CSV) > MaxCSVBytes {
		return invalid("audience.csv", "%d bytes, at most %d", len(a.CSV), MaxCSVBytes)
	}
	for _, list := range []struct {
		field string
		v     []string
	}{{"audience.groups", a.Groups}, {"audience.contacts", a.Contacts}, {"audience.numbers", a.Numbers}} {
		for _, x := range list.v {
			if strings.TrimSpace(x) == "" || len(x) > 200 || !utf8.ValidString(x) {
				return invalid(list.field, "an entry is 1 to 200 bytes of valid UTF-8")
			}
		}
	}
	if err := s.Timing.Validate(now, def); err != nil {
		return err
	}
	if len(s.Modem) > 64 {
		return invalid("modem", "longer than 64 bytes")
	}
	if len(s.Tags) > 20 {
		return invalid("tags", "at most 20 tags")
	}
	if s.Budget != nil && *s.Budget < 0 {
		return invalid("budget", "a budget cannot be negative")
	}
	if s.Priority < -1000 || s.Priority > 1000 {
		return invalid("priority", "%d is outside -1000..1000", s.Priority)
	}
	return nil
}

// Counts are a campaign's recipients by state. A recipient's state is its
// message's once it was queued; before that pending, or skipped when it
// could not be sent at all (a missing field, an invalid number), or
// cancelled.
type Counts struct {
	Recipients int `json:"recipients"`
	Pending    int `json:"pending"`
	Queued     int `json:"queued"`
	Sending    int `json:"sending"`
	Sent       int `json:"sent"`
	Delivered  int `json:"delivered"`
	Failed     int `json:"failed"`
	Expired    int `json:"expired"`
	Uncertain  int `json:"uncertain"`
	Suppressed int `json:"suppressed"`
	Skipped    int `json:"skipped"`
	Cancelled  int `json:"cancelled"`
	// OptedOut counts the recipients who opted out after the campaign was
	// launched (their messages still waiting were cancelled).
	OptedOut int `json:"opted_out"`
	// Replies counts the recipients who wrote back after the launch.
	Replies int `json:"replies"`
}

// Add counts n recipients in state st (a message state, or pending,
// skipped or cancelled).
func (c *Counts) Add(st string, n int) {
	c.Recipients += n
	switch st {
	case RecipientPending:
		c.Pending += n
	case RecipientSkipped:
		c.Skipped += n
	case string(smsgw.StateQueued):
		c.Queued += n
	case string(smsgw.StateSending):
		c.Sending += n
	case string(smsgw.StateSent):
		c.Sent += n
	case string(smsgw.StateDelivered):
		c.Delivered += n
	case string(smsgw.StateFailed):
		c.Failed += n
	case string(smsgw.StateExpired):
		c.Expired += n
	case string(smsgw.StateUncertain):
		c.Uncertain += n
	case string(smsgw.StateSuppressed):
		c.Suppressed += n
	case string(smsgw.StateCancelled):
		c.Cancelled += n
	}
}

// Done says whether no recipient waits any more: none pending, queued or
// being sent.
func (c Counts) Done() bool { return c.Pending+c.Queued+c.Sending == 0 }

// Cost is what a campaign costs: Quoted when it was launched, Actual from
// the spend recorded for its sent messages.
type Cost struct {
	Currency string `json:"currency"`
	Quoted   Money  `json:"quoted"`
	Actual   Money  `json:"actual"`
	// QuotedParts and SentParts are the parts behind the amounts.
	QuotedParts int `json:"quoted_parts"`
	SentParts   int `json:"sent_parts"`
}

// Campaign is a stored campaign.
type Campaign struct {
	ID string `json:"id"`
	Spec
	State State `json:"state"`
	// Reason says why a campaign is paused or cancelled.
	Reason string `json:"reason,omitempty"`
	// Run numbers the sends of a recurring campaign, from 0.
	Run int `json:"run"`
	// RunAt is when the current run of a recurring campaign was due;
	// MissedRuns counts the run times passed unsent while the gateway was
	// down or the run before still sending (see Repeat.Due).
	RunAt      *time.Time `json:"run_at,omitempty"`
	MissedRuns int        `json:"missed_runs,omitempty"`
	// Expanded is set once the audience of the current run was expanded
	// into recipients in full.
	Expanded   bool       `json:"expanded"`
	Counts     Counts     `json:"counts"`
	Cost       Cost       `json:"cost"`
	Created    time.Time  `json:"created"`
	Updated    time.Time  `json:"updated"`
	LaunchedAt *time.Time `json:"launched_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Recipient states before a recipient's message exists.
const (
	RecipientPending   = "pending"
	RecipientQueued    = "queued" // its message exists: the message's state is the recipient's
	RecipientSkipped   = "skipped"
	RecipientCancelled = "cancelled"
)

// Target is one recipient of a campaign as the launch expands it.
type Target struct {
	ID       int64             `json:"-"` // the driver's row id
	Number   string            `json:"number"`
	Name     string            `json:"name,omitempty"`
	Fields   map[string]string `json:"-"`
	TimeZone string            `json:"time_zone,omitempty"`
	Text     string            `json:"text,omitempty"` // rendered
	Parts    int               `json:"parts"`
	// State is pending, skipped (Reason says why) or queued.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// NotBefore is when the feeder may consider the recipient again (its
	// window opens, its rate slot comes); zero: now.
	NotBefore time.Time `json:"-"`
	// SendAfter and NotAfter, set by the feeder from its gates' Decision,
	// become the queued message's send-after and expiry times (zero: at
	// once, never).
	SendAfter time.Time `json:"-"`
	NotAfter  time.Time `json:"-"`
}

// RecipientResult is one recipient's outcome, for the export.
type RecipientResult struct {
	Number    string     `json:"number"`
	Name      string     `json:"name,omitempty"`
	State     string     `json:"state"` // pending, skipped, cancelled, or the message's state
	Reason    string     `json:"reason,omitempty"`
	MessageID string     `json:"message_id,omitempty"`
	Parts     int        `json:"parts"`
	Text      string     `json:"text,omitempty"`
	Modem     string     `json:"modem,omitempty"`
	Error     string     `json:"error,omitempty"`
	Updated   *time.Time `json:"updated,omitempty"`
}

// ListFilter selects campaigns, newest first.
type ListFilter struct {
	State State
	After string // cursor: the last id of the previous page
	Limit int    // 0: 100
}

// Store is what campaigns need of a storage driver (checked by
// store/storetest). Ids are the driver's; an unknown id is
// smsgw.ErrNotFound; a change the campaign's state does not allow is
// smsgw.ErrConflict.
type Store interface {
	RunStore
	// AddCampaign stores a new campaign in state draft.
	AddCampaign(ctx context.Context, s Spec) (Campaign, error)
	// Campaign returns one campaign with its counts and cost.
	Campaign(ctx context.Context, id string) (Campaign, error)
	// Campaigns lists campaigns, newest first, without counts.
	Campaigns(ctx context.Context, f ListFilter) ([]Campaign, error)
	// ActiveCampaigns lists the campaigns the feeder works on (running and
	// scheduled), oldest first.
	ActiveCampaigns(ctx context.Context) ([]Campaign, error)
	// SetCampaignState moves a campaign in one of the states from to state
	// to, with a reason; launching (to running or scheduled from draft)
	// records the launch time.
	SetCampaignState(ctx context.Context, id string, from []State, to State, reason string) (Campaign, error)

	// AddTargets stores recipients of the campaign's current run; a
	// number already there is left as it was (an expansion that runs
	// again after a crash adds nothing twice). It returns how many were
	// new.
	AddTargets(ctx context.Context, id string, run int, ts []Target) (int, error)
	// MarkExpanded records that the run's audience is in full, with the
	// cost quoted for it.
	MarkExpanded(ctx context.Context, id string, run int, quoted Cost) error
	// PendingTargets returns up to limit pending recipients of the run
	// due at now (NotBefore not after it), after the id cursor, in order.
	PendingTargets(ctx context.Context, id string, run int, now time.Time, after int64, limit int) ([]Target, error)
	// NextPending returns the earliest NotBefore of the run's pending
	// recipients (the zero time when one is due at once) and whether any
	// is pending.
	NextPending(ctx context.Context, id string, run int) (time.Time, bool, error)
	// DeferTargets sets the NotBefore of pending recipients.
	DeferTargets(ctx context.Context, ids []int64, until time.Time) error
	// FeedTargets queues one message per pending recipient given, with
	// the campaign's settings, and records each message on its recipient
	// in the same transaction: a recipient is queued exactly once however
	// often it is fed. Recipients no longer pending (or of a campaign no
	// longer running) are left alone. It returns how many it queued.
	FeedTargets(ctx context.Context, c Campaign, ts []Target) (int, error)
	// PauseCampaign moves a running or scheduled campaign to paused and
	// holds its queued messages (nothing claims them until resumed).
	PauseCampaign(ctx context.Context, id, reason string) (Campaign, error)
	// ResumeCampaign moves a paused campaign back to running and releases
	// its held messages.
	ResumeCampaign(ctx context.Context, id string) (Campaign, error)
	// CancelCampaign cancels a campaign not finished: its pending
	// recipients and its queued messages are cancelled.
	CancelCampaign(ctx context.Context, id string) (Campaign, error)
	// FinishCampaign moves a running campaign whose run is expanded and
	// whose every recipient is final to finished and appends the
	// campaign:finished event in the same transaction; false when it is
	// not done yet.
	FinishCampaign(ctx context.Context, id string) (bool, error)
	// Targets pages through the recipients of the current run with their
	// outcome, after the cursor (a row id), in order, and returns the
	// cursor of the next page (0 after the last).
	Targets(ctx context.Context, id string, after int64, limit int) ([]RecipientResult, int64, error)
}

// ValidationError says which field of a campaign is wrong and why.
type ValidationError struct {
	Field, Reason string
	// Code is the machine code; "" means invalid_field.
	Code string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ContactSource is what the audience expansion reads of the contacts.
type ContactSource interface {
	Contact(ctx context.Context, id string) (contacts.Contact, error)
	ContactByNumber(ctx context.Context, number string) (contacts.Contact, error)
	Contacts(ctx context.Context, f contacts.Filter) ([]contacts.Contact, error)
	Group(ctx context.Context, idOrName string) (contacts.Group, error)
}
