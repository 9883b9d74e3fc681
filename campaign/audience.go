package campaign

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"smsgw"
	"smsgw/contacts"
	"smsgw/modem/pdu"
	"smsgw/queue"
)

// ExpandBatch is how many recipients the expansion hands on at once.
const ExpandBatch = 5000

// AudienceError is an audience entry that names nobody (an unknown group
// or contact) or a CSV that cannot be read: the campaign cannot be
// launched or quoted as it is.
type AudienceError struct {
	Field, Reason string
}

func (e *AudienceError) Error() string { return e.Field + ": " + e.Reason }

// Expander turns a campaign's audience into rendered recipients.
type Expander struct {
	// Contacts resolves groups and contacts; nil when none are available
	// (an audience naming them then fails).
	Contacts ContactSource
	// CallingCode is the default country's, for national numbers.
	CallingCode string
}

// Expand streams the audience of s, batch by batch, to emit: numbers
// first, then contacts, groups and the CSV's rows, each number once (its
// first appearance wins). Every recipient comes rendered and counted, or
// skipped with the reason (an invalid number, a missing field, a text the
// coding cannot carry). Memory is bounded by the batch and the set of
// numbers seen.
func (x Expander) Expand(ctx context.Context, s Spec, emit func([]Target) error) error {
	tpl, err := ParseTemplate(s.Template)
	if err != nil {
		return &AudienceError{Field: "template", Reason: err.Error()}
	}
	e := &expansion{x: x, tpl: tpl, smart: s.SmartEncoding, seen: map[string]bool{}, emit: emit,
		counts: map[string]countResult{}, zones: map[string]string{}}
	a := s.Audience
	needContacts := len(a.Groups)+len(a.Contacts) > 0
	if needContacts && x.Contacts == nil {
		return &AudienceError{Field: "audience", Reason: "contacts are not available in this process"}
	}
	for _, raw := range a.Numbers {
		n, err := smsgw.NormalizeE164(raw, x.CallingCode)
		if err != nil {
			if err := e.add(ctx, Target{Number: clipStr(strings.TrimSpace(raw), 40), State: RecipientSkipped, Reason: SkipInvalid + ": " + err.Error()}); err != nil {
				return err
			}
			continue
		}
		t := Target{Number: n}
		if x.Contacts != nil {
			if c, err := x.Contacts.ContactByNumber(ctx, n); err == nil {
				t.Name, t.Fields, t.TimeZone = c.Name, c.Fields, c.TimeZone
			}
		}
		if err := e.add(ctx, t); err != nil {
			return err
		}
	}
	for _, ref := range a.Contacts {
		cs, err := x.contactsNamed(ctx, ref)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := e.add(ctx, Target{Number: c.Number, Name: c.Name, Fields: c.Fields, TimeZone: c.TimeZone}); err != nil {
				return err
			}
		}
	}
	for _, g := range a.Groups {
		if _, err := x.Contacts.Group(ctx, g); err != nil {
			if errors.Is(err, smsgw.ErrNotFound) {
				return &AudienceError{Field: "audience.groups", Reason: fmt.Sprintf("no group %q", clipStr(g, 80))}
			}
			return fmt.Errorf("campaign: group %q: %w", clipStr(g, 80), err)
		}
		f := contacts.Filter{Group: g, Limit: ExpandBatch, NoGroups: true}
		for {
			page, err := x.Contacts.Contacts(ctx, f)
			if err != nil {
				return fmt.Errorf("campaign: group %q: %w", clipStr(g, 80), err)
			}
			for _, c := range page {
				if err := e.add(ctx, Target{Number: c.Number, Name: c.Name, Fields: c.Fields, TimeZone: c.TimeZone}); err != nil {
					return err
				}
			}
			if len(page) < f.Limit {
				break
			}
			f.After = page[len(page)-1].ID
		}
	}
	if strings.TrimSpace(a.CSV) != "" {
		if err := e.csv(ctx, a.CSV); err != nil {
			return err
		}
	}
	return e.flush()
}

// contactsNamed resolves a contact reference: an id, else every contact
// whose name is exactly ref (case aside).
func (x Expander) contactsNamed(ctx context.Context, ref string) ([]contacts.Contact, error) {
	if c, err := x.Contacts.Contact(ctx, ref); err == nil {
		return []contacts.Contact{c}, nil
	} else if !errors.Is(err, smsgw.ErrNotFound) && !isValidation(err) {
		return nil, fmt.Errorf("campaign: contact %q: %w", clipStr(ref, 80), err)
	}
	page, err := x.Contacts.Contacts(ctx, contacts.Filter{Name: ref, Limit: 1000, NoGroups: true})
	if err != nil {
		return nil, fmt.Errorf("campaign: contact %q: %w", clipStr(ref, 80), err)
	}
	var out []contacts.Contact
	for _, c := range page {
		if strings.EqualFold(c.Name, ref) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &AudienceError{Field: "audience.contacts", Reason: fmt.Sprintf("no contact with id or name %q", clipStr(ref, 80))}
	}
	return out, nil
}

func isValidation(err error) bool {
	var ve *contacts.ValidationError
	return errors.As(err, &ve)
}

type expansion struct {
	x      Expander
	tpl    *Template
	smart  bool
	seen   map[string]bool
	batch  []Target
	emit   func([]Target) error
	counts map[string]countResult
	zones  map[string]string
}

// add renders t (unless it is already skipped) and queues it for emit.
func (e *expansion) add(ctx context.Context, t Target) error {
	if e.seen[t.Number] {
		return nil
	}
	e.seen[t.Number] = true
	if t.State == "" {
		e.render(&t)
	}
	e.batch = append(e.batch, t)
	if len(e.batch) >= ExpandBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		return e.flush()
	}
	return nil
}

func (e *expansion) flush() error {
	if len(e.batch) == 0 {
		return nil
	}
	err := e.emit(e.batch)
	e.batch = e.batch[:0]
	return err
}

func (e *expansion) render(t *Target) {
	text, err := e.tpl.Render(Recipient{Number: t.Number, Name: t.Name, Fields: t.Fields})
	var me *MissingError
	if errors.As(err, &me) {
		t.State, t.Reason = RecipientSkipped, SkipMissing+": "+me.Error()
		return
	}
	cr, ok := e.counts[text]
	if !ok {
		cr = countResult{text: text}
		if e.smart {
			if out, changed := SmartEncode(text); changed {
				cr.text = out
			}
		}
		cr.c, cr.err = CountTextCoding(cr.text, pdu.CodingAuto)
		if len(e.counts) < 10000 {
			e.counts[text] = cr
		}
	}
	if cr.err != nil {
		t.State, t.Reason = RecipientSkipped, SkipEncoding+": "+cr.err.Error()
		return
	}
	if len(cr.text) > queue.MaxTextBytes {
		t.State, t.Reason = RecipientSkipped, fmt.Sprintf("too_long: the text has %d bytes, at most %d", len(cr.text), queue.MaxTextBytes)
		return
	}
	t.Text, t.Parts, t.State = cr.text, cr.c.Parts, RecipientPending
	if t.TimeZone == "" {
		// The zone turns on the number's first digits only.
		key := t.Number
		if len(key) > 8 {
			key = key[:8]
		}
		z, ok := e.zones[key]
		if !ok {
			z = smsgw.TimeZoneOf(t.Number)
			e.zones[key] = z
		}
		t.TimeZone = z
	}
}

// csv expands an uploaded audience: a header row, number required, name
// optional, every other column a field.
func (e *expansion) csv(ctx context.Context, body string) error {
	cr := csv.NewReader(strings.NewReader(body))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return &AudienceError{Field: "audience.csv", Reason: "the header row cannot be read: " + err.Error()}
	}
	num, name, keys, err := csvColumns(header)
	if err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return &AudienceError{Field: "audience.csv", Reason: err.Error()}
		}
		if num >= len(rec) {
			continue
		}
		raw := rec[num]
		n, err := smsgw.NormalizeE164(raw, e.x.CallingCode)
		if err != nil {
			if strings.TrimSpace(raw) == "" {
				continue
			}
			if err := e.add(ctx, Target{Number: clipStr(strings.TrimSpace(raw), 40), State: RecipientSkipped, Reason: SkipInvalid + ": " + err.Error()}); err != nil {
				return err
			}
			continue
		}
		t := Target{Number: n, Fields: map[string]string{}}
		if name >= 0 && name < len(rec) {
			t.Name = strings.TrimSpace(rec[name])
		}
		for i, k := range keys {
			if k != "" && i < len(rec) {
				t.Fields[k] = rec[i]
			}
		}
		if err := e.add(ctx, t); err != nil {
			return err
		}
	}
}

// csvColumns maps an audience CSV's header: the number column (required),
// the name column (-1 when none) and the field key of every other column.
func csvColumns(header []string) (num, name int, keys []string, err error) {
	num, name = -1, -1
	keys = make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch strings.ToLower(h) {
		case "number", "phone", "phone_number":
			num = i
		case "name":
			name = i
		default:
			if !contacts.ValidKey(h) {
				return 0, 0, nil, &AudienceError{Field: "audience.csv", Reason: fmt.Sprintf("column %d: %q cannot name a field (letters, digits, '_' or '-')", i+1, clipStr(h, 40))}
			}
			keys[i] = h
		}
	}
	if num < 0 {
		return 0, 0, nil, &AudienceError{Field: "audience.csv", Reason: "the header has no number column"}
	}
	return num, name, keys, nil
}
