package api

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/campaign"
)

// Error codes of the campaign routes (besides invalid_field and the
// timing codes of package campaign: invalid_window, invalid_send_at,
// invalid_rate, invalid_repeat).
const (
	// CodeCampaignState: the campaign's state does not allow the change
	// (launching one not a draft, resuming one not paused...).
	CodeCampaignState = "invalid_campaign_state"
	// CodeInvalidAudience: the audience names a group or contact that does
	// not exist, or its CSV cannot be read.
	CodeInvalidAudience = "invalid_audience"
	// CodeInvalidTemplate is shared with POST /v1/quote.
)

// CampaignBodyBytes caps a campaign body: its audience may carry a CSV.
const CampaignBodyBytes = campaign.MaxCSVBytes + 1<<20

// Campaigns is the campaign service (campaign.Service).
type Campaigns interface {
	Create(ctx context.Context, sp campaign.Spec) (campaign.Campaign, error)
	Get(ctx context.Context, id string) (campaign.Campaign, error)
	List(ctx context.Context, f campaign.ListFilter) ([]campaign.Campaign, error)
	Quote(ctx context.Context, id string) (campaign.Quote, error)
	Launch(ctx context.Context, id string) (campaign.Campaign, error)
	Pause(ctx context.Context, id string) (campaign.Campaign, error)
	Resume(ctx context.Context, id string) (campaign.Campaign, error)
	Cancel(ctx context.Context, id string) (campaign.Campaign, error)
	Clone(ctx context.Context, id string) (campaign.Campaign, error)
	Recipients(ctx context.Context, id string, after int64, limit int) ([]campaign.RecipientResult, int64, error)
}

// CampaignList is the answer of GET /v1/campaigns.
type CampaignList struct {
	Campaigns  []campaign.Campaign `json:"campaigns"`
	NextCursor string              `json:"next_cursor,omitempty"`
}

// RecipientList is the JSON answer of GET /v1/campaigns/{id}/recipients.
type RecipientList struct {
	Recipients []campaign.RecipientResult `json:"recipients"`
	NextCursor string                     `json:"next_cursor,omitempty"`
}

func (h *Handler) campaignsBackend() (Campaigns, *Error) {
	if h.b.Campaigns == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "campaigns are not available in this process")
	}
	return h.b.Campaigns, nil
}

// campaignErr maps a campaign error to its answer.
func (h *Handler) campaignErr(err error, what string) *Error {
	var ve *campaign.ValidationError
	var se *campaign.ScheduleError
	var ae *campaign.AudienceError
	switch {
	case errors.As(err, &ve):
		code := ve.Code
		if code == "" {
			code = CodeInvalidField
		}
		return errorf(http.StatusBadRequest, code, ve.Field, "%s", ve.Reason)
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, se.Code, se.Field, "%s", se.Reason)
	case errors.As(err, &ae):
		return errorf(http.StatusBadRequest, CodeInvalidAudience, ae.Field, "%s", ae.Reason)
	case errors.Is(err, smsgw.ErrConflict):
		msg := err.Error()
		if i := strings.Index(msg, "campaign "); i >= 0 {
			msg = msg[i:]
		}
		msg = strings.TrimSuffix(msg, ": "+smsgw.ErrConflict.Error())
		return errorf(http.StatusConflict, CodeCampaignState, "", "%s", msg)
	case errors.Is(err, campaign.ErrNoPrices):
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "prices are not available in this process")
	case errors.Is(err, smsgw.ErrNotFound):
		return errorf(http.StatusNotFound, CodeNotFound, "", "no such campaign")
	}
	return h.storeErr(err, what)
}

func (h *Handler) listCampaigns(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.campaignsBackend()
	if e != nil {
		return e
	}
	if e := onlyParams(r, "state", "cursor", "limit"); e != nil {
		return e
	}
	q := r.URL.Query()
	f := campaign.ListFilter{State: campaign.State(q.Get("state")), After: q.Get("cursor")}
	if f.State != "" && !f.State.Valid() {
		return badField("state", "state must be one of draft, scheduled, running, paused, finished, cancelled")
	}
	if f.After != "" && !validCursor(f.After) {
		return badField("cursor", "cursor must be a next_cursor from a previous page")
	}
	var err error
	var e2 *Error
	if f.Limit, e2 = queryInt(r, "limit", 100, 1, 1000); e2 != nil {
		return e2
	}
	list, err := cs.List(r.Context(), f)
	if err != nil {
		return h.campaignErr(err, "campaigns")
	}
	out := CampaignList{Campaigns: list}
	if len(list) == f.Limit {
		out.NextCursor = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) postCampaign(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.campaignsBackend()
	if e != nil {
		return e
	}
	var sp campaign.Spec
	if e := decodeJSON(r, &sp); e != nil {
		return e
	}
	c, err := cs.Create(r.Context(), sp)
	if err != nil {
		return h.campaignErr(err, "campaign")
	}
	w.Header().Set("Location", "/v1/campaigns/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (h *Handler) getCampaign(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.campaignsBackend()
	if e != nil {
		return e
	}
	c, err := cs.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.campaignErr(err, "campaign")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) quoteCampaign(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.campaignsBackend()
	if e != nil {
		return e
	}
	q, err := cs.Quote(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.campaignErr(err, "campaign quote")
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// campaignAction serves POST /v1/campaigns/{id}/launch|pause|resume|cancel|clone.
func (h *Handler) campaignAction(action string) func(http.ResponseWriter, *http.Request) *Error {
	return func(w http.ResponseWriter, r *http.Request) *Error {
		cs, e := h.campaignsBackend()
		if e != nil {
			return e
		}
		id := mux.Vars(r)["id"]
		var c campaign.Campaign
		var err error
		status := http.StatusOK
		switch action {
		case "launch":
			c, err = cs.Launch(r.Context(), id)
			status = http.StatusAccepted
		case "pause":
			c, err = cs.Pause(r.Context(), id)
		case "resume":
			c, err = cs.Resume(r.Context(), id)
		case "cancel":
			c, err = cs.Cancel(r.Context(), id)
		case "clone":
			c, err = cs.Clone(r.Context(), id)
			status = http.StatusCreated
		}
		if err != nil {
			return h.campaignErr(err, "campaign "+action)
		}
		if action == "clone" {
			w.Header().Set("Location", "/v1/campaigns/"+c.ID)
		}
		writeJSON(w, status, c)
		return nil
	}
}

// wantsCSV says whether the client asked for CSV (format=csv, or an
// Accept header naming text/csv).
func wantsCSV(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "csv"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/csv")
}

func (h *Handler) campaignRecipients(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.campaignsBackend()
	if e != nil {
		return e
	}
	if e := onlyParams(r, "format", "cursor", "limit"); e != nil {
		return e
	}
	if f := r.URL.Query().Get("format"); f != "" && f != "csv" && f != "json" {
		return badField("format", "format must be json or csv")
	}
	id := mux.Vars(r)["id"]
	var after int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			return badField("cursor", "cursor must be a next_cursor from a previous page")
		}
		after = n
	}
	if !wantsCSV(r) {
		limit, e := queryInt(r, "limit", 1000, 1, 10000)
		if e != nil {
			return e
		}
		rs, next, err := cs.Recipients(r.Context(), id, after, limit)
		if err != nil {
			return h.campaignErr(err, "campaign recipients")
		}
		out := RecipientList{Recipients: rs}
		if next != 0 {
			out.NextCursor = strconv.FormatInt(next, 10)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	// The first page before the header: an unknown campaign is a 404.
	rs, next, err := cs.Recipients(r.Context(), id, after, 5000)
	if err != nil {
		return h.campaignErr(err, "campaign recipients")
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="campaign-`+id+`-recipients.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"number", "name", "state", "reason", "message_id", "parts", "modem", "error", "updated", "text"})
	for {
		for _, x := range rs {
			upd := ""
			if x.Updated != nil {
				upd = x.Updated.UTC().Format(time.RFC3339)
			}
			cw.Write([]string{x.Number, csvSafe(x.Name), x.State, x.Reason, x.MessageID, strconv.Itoa(x.Parts), x.Modem, x.Error, upd, csvSafe(x.Text)})
		}
		if next == 0 {
			break
		}
		if rs, next, err = cs.Recipients(r.Context(), id, next, 5000); err != nil {
			// The header is out: the truncated body is all we can say.
			h.log.Error("api: campaign recipients export failed", "campaign", id, "err", err)
			break
		}
	}
	cw.Flush()
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CampaignBudgets changes a campaign's budget, implemented by
// campaign.BudgetSetter: raising the budget of a campaign it paused
// resumes it.
type CampaignBudgets interface {
	SetBudget(ctx context.Context, id string, budget *campaign.Money) (campaign.Campaign, error)
}

type budgetRequest struct {
	Budget *campaign.Money `json:"budget"`
}

func (h *Handler) putCampaignBudget(w http.ResponseWriter, r *http.Request) *Error {
	if h.b.CampaignBudgets == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "campaign budgets are not available in this process")
	}
	var q budgetRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	c, err := h.b.CampaignBudgets.SetBudget(r.Context(), mux.Vars(r)["id"], q.Budget)
	if err != nil {
		return h.campaignErr(err, "campaign budget")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
