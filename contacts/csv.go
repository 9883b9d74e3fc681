package contacts

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ImportBatch is how many rows one import transaction takes: large enough
// that 100,000 rows are a few dozen commits, small enough that memory stays
// bounded whatever the file's size.
const ImportBatch = 2000

// RowError is one CSV row that was not imported.
type RowError struct {
	Line   int    `json:"line"`
	Number string `json:"number,omitempty"`
	Reason string `json:"reason"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Rows    int        `json:"rows"`    // data rows read (the header excluded)
	Created int        `json:"created"` // new contacts
	Updated int        `json:"updated"` // rows merged into a contact that existed (or came earlier in the file)
	Bad     int        `json:"bad"`     // rows refused, each in Errors
	Group   string     `json:"group,omitempty"`
	Errors  []RowError `json:"errors"`
}

// HeaderError is a CSV header that cannot be imported; nothing was.
type HeaderError struct{ Reason string }

func (e *HeaderError) Error() string { return "csv header: " + e.Reason }

// ReadError is the CSV's reader failing (a broken or too large body):
// the rows before Line are imported.
type ReadError struct {
	Line int
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("csv: reading line %d: %v", e.Line, e.Err) }

func (e *ReadError) Unwrap() error { return e.Err }

// ImportOptions tune Import.
type ImportOptions struct {
	// CallingCode is the default country's calling code for national numbers.
	CallingCode string
	// Group, when set, receives every imported contact (created if missing).
	Group string
}

// Import reads contacts from CSV (a header row; "number" required, "name"
// optional, every other column a field) and merges them into st batch by
// batch: memory is bounded by ImportBatch, not by the file. Duplicate
// numbers merge (later rows win field by field; empty cells change
// nothing). Every bad row is reported with its line and reason; the good
// ones are imported. A header that cannot be read is a *HeaderError and
// imports nothing; a storage failure stops the import where it is (the
// batches before it stay imported).
func Import(ctx context.Context, st Store, r io.Reader, o ImportOptions) (ImportResult, error) {
	res := ImportResult{Errors: []RowError{}}
	if o.Group != "" {
		g, err := GroupName("group", o.Group)
		if err != nil {
			return res, err
		}
		o.Group = g
		res.Group = g
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return res, &HeaderError{Reason: "the file is empty; a header row naming the columns (number, name, ...) is required"}
	}
	if err != nil {
		return res, &HeaderError{Reason: err.Error()}
	}
	cols := make([]string, len(header))
	numberCol, nameCol := -1, -1
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		key := strings.ToLower(h)
		switch {
		case key == "number":
			numberCol = i
		case key == "name":
			nameCol = i
		case !ValidKey(h):
			return res, &HeaderError{Reason: fmt.Sprintf("column %d %q cannot name a field: use 1 to %d letters, digits, '_' or '-'", i+1, clip(h, 80), MaxKeyLen)}
		}
		if seen[key] {
			return res, &HeaderError{Reason: fmt.Sprintf("column %q appears twice", clip(h, 80))}
		}
		seen[key] = true
		cols[i] = h
	}
	if numberCol < 0 {
		return res, &HeaderError{Reason: "no \"number\" column"}
	}
	batch := make([]Contact, 0, ImportBatch)
	index := make(map[string]int, ImportBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		m, err := st.MergeContacts(ctx, batch, o.Group)
		if err != nil {
			return fmt.Errorf("contacts: import: %w", err)
		}
		res.Created += m.Created
		res.Updated += m.Updated
		batch = batch[:0]
		clear(index)
		return nil
	}
	bad := func(line int, number, format string, args ...any) {
		res.Bad++
		res.Errors = append(res.Errors, RowError{Line: line, Number: clip(number, 40), Reason: fmt.Sprintf(format, args...)})
	}
	lastLine := 1
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(err, io.ErrUnexpectedEOF) {
				res.Rows++
				bad(pe.StartLine, "", "%v", pe.Err)
				continue
			}
			return res, &ReadError{Line: lastLine + 1, Err: err}
		}
		line, _ := cr.FieldPos(0)
		lastLine = line
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		res.Rows++
		if len(rec) > len(cols) {
			bad(line, "", "the row has %d columns but the header %d", len(rec), len(cols))
			continue
		}
		c := Contact{Fields: map[string]string{}}
		for i, v := range rec {
			switch i {
			case numberCol:
				c.Number = v
			case nameCol:
				c.Name = v
			default:
				if v = strings.TrimSpace(v); v != "" {
					c.Fields[cols[i]] = v
				}
			}
		}
		raw := strings.TrimSpace(c.Number)
		if raw == "" {
			bad(line, "", "the number is empty")
			continue
		}
		if err := Normalize(&c, o.CallingCode); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				bad(line, raw, "%s", ve.Reason)
			} else {
				bad(line, raw, "%v", err)
			}
			continue
		}
		if i, ok := index[c.Number]; ok {
			// A duplicate within the batch merges here, as the store
			// merges it with one from an earlier batch.
			p := &batch[i]
			if c.Name != "" {
				p.Name = c.Name
			}
			for k, v := range c.Fields {
				p.Fields[k] = v
			}
			res.Updated++
			continue
		}
		index[c.Number] = len(batch)
		batch = append(batch, c)
		if len(batch) == ImportBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

// ExportPage is how many contacts Export reads at a time.
const ExportPage = 1000

// Export writes the contacts matching f (its After and Limit are ignored)
// as CSV: number, name, then every field key in use, sorted; the file
// imports back as it was. It reads page by page, so memory is bounded.
func Export(ctx context.Context, st Store, w io.Writer, f Filter) error {
	keys, err := st.FieldKeys(ctx)
	if err != nil {
		return fmt.Errorf("contacts: export: %w", err)
	}
	sort.Strings(keys)
	cw := csv.NewWriter(w)
	rec := append([]string{"number", "name"}, keys...)
	if err := cw.Write(rec); err != nil {
		return err
	}
	f.After, f.Limit = "", ExportPage
	for {
		page, err := st.Contacts(ctx, f)
		if err != nil {
			return fmt.Errorf("contacts: export: %w", err)
		}
		for _, c := range page {
			rec = rec[:0]
			rec = append(rec, c.Number, c.Name)
			for _, k := range keys {
				rec = append(rec, c.Fields[k])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(page) < ExportPage {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}
