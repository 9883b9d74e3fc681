package campaign

import (
	"errors"
	"sort"
	"strconv"

	"smsgw"
	"smsgw/modem/pdu"
)

// Quote is what sending a text to an audience would take and cost; it
// sends nothing. Amounts are decimal strings in the table's currency.
type Quote struct {
	Recipients int            `json:"recipients"` // messages that would go out
	Parts      int            `json:"parts"`
	Currency   string         `json:"currency"`
	Total      Money          `json:"total"`
	Unpriced   int            `json:"unpriced"` // recipients no price row matches (not in total)
	ByCountry  []CountryCost  `json:"by_country"`
	Messages   []QuoteMessage `json:"messages"`
	Skipped    []Skip         `json:"skipped"`
	// Smart encoding: the parts without it, when it was asked for.
	PartsBeforeSmart *int `json:"parts_before_smart,omitempty"`
	// Modem is the modem the send is pinned to, whose tariff priced it;
	// FreeParts are the parts its monthly free allowance covers (at 0,
	// counted in order of the messages).
	Modem     string `json:"modem,omitempty"`
	FreeParts int    `json:"free_parts"`
}

// CountryCost totals one destination country.
type CountryCost struct {
	Country    string `json:"country"` // ISO 3166-1 alpha-2
	Prefix     string `json:"prefix"`  // its calling code
	Recipients int    `json:"recipients"`
	Parts      int    `json:"parts"`
	Cost       Money  `json:"cost"`
}

// QuoteMessage is one recipient's message.
type QuoteMessage struct {
	To     string `json:"to"`
	Parts  int    `json:"parts"`
	Coding string `json:"coding"`
	Left   int    `json:"left"` // units free in the last part
	// Price is per part; with Cost absent when no row matches.
	Price *Money `json:"price"`
	Cost  *Money `json:"cost"`
	Text  string `json:"text,omitempty"` // the rendered text, for a personalised template
	// PartsBefore is the part count without smart encoding, when it
	// changed the text.
	PartsBefore int `json:"parts_before,omitempty"`
	// FreeParts of this message's parts fall within the modem's free
	// allowance (Cost leaves them out).
	FreeParts int `json:"free_parts,omitempty"`
}

// Skip is a recipient that would not be sent, and why.
type Skip struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// Skip reasons (machine-readable first word of Reason).
const (
	SkipInvalid    = "invalid_number"
	SkipMissing    = "missing_field"
	SkipSuppressed = "suppressed"
	SkipDuplicate  = "duplicate"
	SkipEncoding   = "not_encodable"
)

// Quoter builds a Quote recipient by recipient, in bounded work per
// recipient.
type Quoter struct {
	tpl    *Template
	smart  bool
	coding pdu.Coding
	prices *PriceTable
	q      Quote
	before int
	byCC   map[string]*CountryCost
	seen   map[string]bool
	// counts caches the count of a text: an unpersonalised template is
	// counted once, not once per recipient.
	counts map[string]countResult
	// countries caches countryOf.
	countries map[string]smsgw.Country
	codes     map[string]string
	// freeLeft is what is left of the modem's free allowance.
	freeLeft int
}

// SetModem records the modem a pinned send goes through and the free
// parts its tariff has left this month; its price table is the one given
// to NewQuoter.
func (qb *Quoter) SetModem(modem string, freeLeft int) {
	qb.q.Modem, qb.freeLeft = modem, max(freeLeft, 0)
}

type countResult struct {
	c      Count
	before int
	text   string
	err    error
}

// NewQuoter quotes tpl (smart: with smart encoding; coding as a send asks,
// CodingAuto by default) against prices.
func NewQuoter(tpl *Template, smart bool, coding pdu.Coding, prices *PriceTable) *Quoter {
	return &Quoter{tpl: tpl, smart: smart, coding: coding, prices: prices,
		q:    Quote{Currency: prices.Currency(), ByCountry: []CountryCost{}, Messages: []QuoteMessage{}, Skipped: []Skip{}},
		byCC: map[string]*CountryCost{}, seen: map[string]bool{}, counts: map[string]countResult{}}
}

// Skip records a recipient that will not be sent.
func (qb *Quoter) Skip(to, reason string) {
	qb.q.Skipped = append(qb.q.Skipped, Skip{To: to, Reason: reason})
}

func (qb *Quoter) count(text string) countResult {
	if r, ok := qb.counts[text]; ok {
		return r
	}
	r := countResult{text: text}
	if qb.smart {
		if out, changed := SmartEncode(text); changed {
			if c, err := CountTextCoding(text, qb.coding); err == nil {
				r.before = c.Parts
			}
			r.text = out
		}
	}
	r.c, r.err = CountTextCoding(r.text, qb.coding)
	if len(qb.counts) < 10000 {
		qb.counts[text] = r
	}
	return r
}

// countryOf is smsgw.CountryOf and the calling code, cached by the
// number's first digits (which decide the country: parsing each of a
// large audience's numbers would cost more than the rest of the quote).
func (qb *Quoter) countryOf(number string) (smsgw.Country, string) {
	key := number
	if len(key) > 8 {
		key = key[:8]
	}
	if c, ok := qb.countries[key]; ok {
		return c, qb.codes[key]
	}
	c, err := smsgw.CountryOf(number)
	cc := ""
	if err == nil {
		cc = strconv.Itoa(c.CallingCode)
	}
	if qb.countries == nil {
		qb.countries, qb.codes = map[string]smsgw.Country{}, map[string]string{}
	}
	qb.countries[key], qb.codes[key] = c, cc
	return c, cc
}

// Add quotes the message to r (its Number in E.164).
func (qb *Quoter) Add(r Recipient) {
	if qb.seen[r.Number] {
		qb.Skip(r.Number, SkipDuplicate+": the number is in the audience more than once")
		return
	}
	qb.seen[r.Number] = true
	text, err := qb.tpl.Render(r)
	var me *MissingError
	if errors.As(err, &me) {
		qb.Skip(r.Number, SkipMissing+": "+me.Error())
		return
	}
	cr := qb.count(text)
	if cr.err != nil {
		qb.Skip(r.Number, SkipEncoding+": "+cr.err.Error())
		return
	}
	m := QuoteMessage{To: r.Number, Parts: cr.c.Parts, Coding: cr.c.Coding, Left: cr.c.Left}
	if qb.tpl.Personal() {
		m.Text = cr.text
	}
	before := cr.c.Parts
	if cr.before > 0 {
		m.PartsBefore, before = cr.before, cr.before
	}
	qb.before += before
	country, cc := qb.countryOf(r.Number)
	row := qb.byCC[country.Region]
	if row == nil {
		row = &CountryCost{Country: country.Region, Prefix: cc}
		qb.byCC[country.Region] = row
	}
	row.Recipients++
	row.Parts += m.Parts
	free := min(qb.freeLeft, m.Parts)
	qb.freeLeft -= free
	m.FreeParts = free
	qb.q.FreeParts += free
	if _, price, ok := qb.prices.Lookup(r.Number); ok {
		cost := price * Money(m.Parts-free)
		m.Price, m.Cost = &price, &cost
		row.Cost += cost
		qb.q.Total += cost
	} else {
		qb.q.Unpriced++
	}
	qb.q.Recipients++
	qb.q.Parts += m.Parts
	qb.q.Messages = append(qb.q.Messages, m)
}

// Result returns the quote, countries by cost then name.
func (qb *Quoter) Result() Quote {
	q := qb.q
	q.ByCountry = make([]CountryCost, 0, len(qb.byCC))
	for _, c := range qb.byCC {
		q.ByCountry = append(q.ByCountry, *c)
	}
	sort.Slice(q.ByCountry, func(i, j int) bool {
		a, b := q.ByCountry[i], q.ByCountry[j]
		if a.Cost != b.Cost {
			return a.Cost > b.Cost
		}
		return a.Country < b.Country
	})
	if qb.smart {
		b := qb.before
		q.PartsBeforeSmart = &b
	}
	return q
}
