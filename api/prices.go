package api

import (
	"context"
	"encoding/csv"
	"errors"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"smsgw"
	"smsgw/campaign"
	"smsgw/contacts"
	"smsgw/modem/pdu"
)

// Prices is the price table in force, implemented by *campaign.PriceBook.
type Prices interface {
	// Table returns the table in force and its source (config or api).
	Table() (*campaign.PriceTable, string)
	// Set checks, stores and puts a new table in force (a
	// *campaign.PriceError when a row is bad).
	Set(ctx context.Context, rows []campaign.Price) (*campaign.PriceTable, error)
}

// Error codes of prices and quotes.
const (
	CodeInvalidPrice    = "invalid_price"
	CodeInvalidTemplate = "invalid_template"
)

// PriceList is the answer of GET and PUT /v1/prices. Prices are decimal
// strings, never floats.
type PriceList struct {
	Currency string           `json:"currency"`
	Source   string           `json:"source"` // config or api
	Prices   []campaign.Price `json:"prices"`
}

type pricesRequest struct {
	Prices []campaign.Price `json:"prices"`
}

func (h *Handler) pricesBackend() (Prices, *Error) {
	if h.b.Prices == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "prices are not available in this process")
	}
	return h.b.Prices, nil
}

func writePrices(w http.ResponseWriter, r *http.Request, t *campaign.PriceTable, source string) {
	if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(w)
		cw.Write([]string{"prefix", "price_per_part", "currency"})
		for _, p := range t.Rows() {
			cw.Write([]string{p.Prefix, p.PricePerPart.String(), p.Currency})
		}
		cw.Flush()
		return
	}
	writeJSON(w, http.StatusOK, PriceList{Currency: t.Currency(), Source: source, Prices: t.Rows()})
}

func (h *Handler) getPrices(w http.ResponseWriter, r *http.Request) *Error {
	pb, e := h.pricesBackend()
	if e != nil {
		return e
	}
	if f := r.URL.Query().Get("format"); f != "" && f != "csv" && f != "json" {
		return badField("format", "format must be json or csv")
	}
	t, src := pb.Table()
	writePrices(w, r, t, src)
	return nil
}

func priceErr(err error) *Error {
	var pe *campaign.PriceError
	if errors.As(err, &pe) {
		return errorf(http.StatusBadRequest, CodeInvalidPrice, pe.Field, "row %d: %s", pe.Row, pe.Reason)
	}
	return nil
}

func (h *Handler) putPrices(w http.ResponseWriter, r *http.Request) *Error {
	pb, e := h.pricesBackend()
	if e != nil {
		return e
	}
	var rows []campaign.Price
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "text/csv" {
		var err error
		if rows, err = campaign.ParsePriceCSV(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return bodyReadError(mbe)
			}
			if pe := priceErr(err); pe != nil {
				return pe
			}
			return errorf(http.StatusBadRequest, CodeBadRequest, "", "reading the CSV failed")
		}
	} else {
		var q pricesRequest
		if e := decodeJSON(r, &q); e != nil {
			return e
		}
		if q.Prices == nil {
			return errorf(http.StatusBadRequest, CodeMissingField, "prices", "prices is required (an empty list clears the table)")
		}
		rows = q.Prices
	}
	t, err := pb.Set(r.Context(), rows)
	if err != nil {
		if pe := priceErr(err); pe != nil {
			return pe
		}
		return h.storeErr(err, "prices")
	}
	writePrices(w, r, t, campaign.SourceAPI)
	return nil
}

// quoteRequest is the body of POST /v1/quote: a POST /v1/messages body,
// and an audience from the contacts, and smart encoding.
type quoteRequest struct {
	sendRequest
	Groups        []string `json:"groups"`
	Contacts      []string `json:"contacts"`
	SmartEncoding bool     `json:"smart_encoding"`
}

// QuoteAnswer is the answer of POST /v1/quote.
type QuoteAnswer = campaign.Quote

func (h *Handler) postQuote(w http.ResponseWriter, r *http.Request) *Error {
	pb, e := h.pricesBackend()
	if e != nil {
		return e
	}
	var q quoteRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if q.Data != nil || q.DataHex != nil {
		return badField("data", "a quote takes a text, not data")
	}
	if q.Text == nil || strings.TrimSpace(*q.Text) == "" {
		return errorf(http.StatusBadRequest, CodeEmptyText, "text", "the text is empty")
	}
	if !utf8.ValidString(*q.Text) {
		return badField("text", "the text is not valid UTF-8")
	}
	tpl, err := campaign.ParseTemplate(*q.Text)
	if err != nil {
		return errorf(http.StatusBadRequest, CodeInvalidTemplate, "text", "%v", err)
	}
	coding := pdu.CodingAuto
	switch q.Encoding {
	case "", EncodingAuto:
	case EncodingGSM7:
		coding = pdu.CodingGSM7
	case EncodingUCS2:
		coding = pdu.CodingUCS2
	default:
		return badField("encoding", "encoding must be auto, gsm7 or ucs2")
	}
	cat, err := smsgw.ParseCategory(q.Category)
	if err != nil {
		return badField("category", "category must be %q (the default) or %q", smsgw.CategoryTransactional, smsgw.CategoryMarketing)
	}
	if len(q.To)+len(q.Groups)+len(q.Contacts) == 0 {
		return errorf(http.StatusBadRequest, CodeMissingField, "to", "at least one recipient (to, groups or contacts) is required")
	}
	if e := h.checkRecipients(len(q.To)+len(q.Contacts), "to"); e != nil {
		return e
	}
	if (len(q.Groups) > 0 || len(q.Contacts) > 0) && h.b.Contacts == nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "contacts are not available in this process")
	}
	ctx := r.Context()
	table, _ := pb.Table()
	freeLeft := 0
	if q.Modem != "" {
		// Pinned to a modem: the same check a send makes, then its tariff.
		if e := h.checkModem(ctx, "modem", q.Modem); e != nil {
			return e
		}
		if h.b.Tariffs != nil {
			table = h.b.Tariffs.Table(q.Modem)
		}
		if h.b.Budgets != nil {
			freeLeft = h.b.Budgets.Usage(q.Modem).FreePartsLeft
		}
	}
	qb := campaign.NewQuoter(tpl, q.SmartEncoding, coding, table)
	if q.Modem != "" {
		qb.SetModem(q.Modem, freeLeft)
	}
	// The numbers standing opted out, read once: one look-up per
	// recipient of a large audience would cost more than the quote.
	var optedOut map[string]bool
	if cat == smsgw.CategoryMarketing && h.b.Consent != nil {
		optedOut = map[string]bool{}
		after := ""
		for {
			page, err := h.b.Consent.OptOuts(ctx, after, 1000)
			if err != nil {
				return h.storeErr(err, "consent")
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
	add := func(rc campaign.Recipient) *Error {
		if optedOut[rc.Number] {
			qb.Skip(rc.Number, campaign.SkipSuppressed+": the number opted out")
			return nil
		}
		qb.Add(rc)
		return nil
	}
	for _, raw := range q.To {
		n, err := smsgw.NormalizeE164(raw, h.cc)
		if err != nil {
			qb.Skip(clip(raw, 40), campaign.SkipInvalid+": "+err.Error())
			continue
		}
		rc := campaign.Recipient{Number: n}
		if tpl.Personal() && h.b.Contacts != nil {
			if c, err := h.b.Contacts.ContactByNumber(ctx, n); err == nil {
				rc.Name, rc.Fields = c.Name, c.Fields
			}
		}
		if e := add(rc); e != nil {
			return e
		}
	}
	for _, id := range q.Contacts {
		c, err := h.b.Contacts.Contact(ctx, id)
		if err != nil {
			return h.contactErr(err, "contact "+clip(id, 40))
		}
		if e := add(campaign.Recipient{Number: c.Number, Name: c.Name, Fields: c.Fields}); e != nil {
			return e
		}
	}
	for _, g := range q.Groups {
		f := contacts.Filter{Group: g, Limit: contacts.ExportPage, NoGroups: true}
		for {
			page, err := h.b.Contacts.Contacts(ctx, f)
			if err != nil {
				return h.contactErr(err, "group "+clip(g, 40))
			}
			for _, c := range page {
				if e := add(campaign.Recipient{Number: c.Number, Name: c.Name, Fields: c.Fields}); e != nil {
					return e
				}
			}
			if len(page) < f.Limit {
				break
			}
			f.After = page[len(page)-1].ID
		}
	}
	writeJSON(w, http.StatusOK, qb.Result())
	return nil
}
