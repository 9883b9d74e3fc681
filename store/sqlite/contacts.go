package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"smsgw"
	"smsgw/contacts"
)

var _ contacts.Store = (*Store)(nil)

const contactCols = `c.id, c.number, c.name, c.fields, c.time_zone, c.created_at, c.updated_at,
	(SELECT group_concat(g.name, char(31)) FROM group_members m JOIN contact_groups g ON g.id = m.group_id WHERE m.contact_id = c.id)`

const contactColsNoGroups = `c.id, c.number, c.name, c.fields, c.time_zone, c.created_at, c.updated_at, NULL`

func scanContact(sc scanner) (contacts.Contact, error) {
	var (
		id, created, updated int64
		c                    contacts.Contact
		fields               string
		groups               sql.NullString
	)
	if err := sc.Scan(&id, &c.Number, &c.Name, &fields, &c.TimeZone, &created, &updated, &groups); err != nil {
		return c, err
	}
	c.ID = strconv.FormatInt(id, 10)
	c.Created, c.Updated = msTime(created), msTime(updated)
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return c, fmt.Errorf("contact %d fields: %w", id, err)
	}
	if c.Fields == nil {
		c.Fields = map[string]string{}
	}
	c.Groups = []string{}
	if groups.Valid && groups.String != "" {
		c.Groups = strings.Split(groups.String, "\x1f")
		sort.Strings(c.Groups)
	}
	return c, nil
}

func encodeFields(f map[string]string) string {
	if len(f) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(f) // a map of strings always encodes
	return string(b)
}

// rowID parses a driver id; anything else names no row.
func rowID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0 && strconv.FormatInt(n, 10) == id
}

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, id string) (contacts.Contact, error) {
	n, ok := rowID(id)
	if !ok {
		return contacts.Contact{}, fmt.Errorf("contacts: contact %q: %w", id, smsgw.ErrNotFound)
	}
	return s.contactWhere(ctx, `c.id = ?`, n)
}

// ContactByNumber returns the contact with this E.164 number.
func (s *Store) ContactByNumber(ctx context.Context, number string) (contacts.Contact, error) {
	return s.contactWhere(ctx, `c.number = ?`, number)
}

func (s *Store) contactWhere(ctx context.Context, where string, arg any) (contacts.Contact, error) {
	c, err := scanContact(s.rdb.QueryRowContext(ctx, `SELECT `+contactCols+` FROM contacts c WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contacts: contact %v: %w", arg, smsgw.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("contacts: contact %v: %w", arg, err)
	}
	return c, nil
}

// groupIDs resolves group names to ids, creating the missing ones.
func groupIDs(w *wtx, names []string) ([]int64, error) {
	ids := make([]int64, 0, len(names))
	for _, n := range names {
		var id int64
		err := w.queryRow(`SELECT id FROM contact_groups WHERE name = ?`, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			res, err := w.exec(`INSERT INTO contact_groups (name, created_at, updated_at) VALUES (?, ?, ?)`, n, w.now, w.now)
			if err != nil {
				return nil, err
			}
			id, err = res.LastInsertId()
			if err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (w *wtx) numberTaken(number string, except int64) error {
	var other int64
	err := w.queryRow(`SELECT id FROM contacts WHERE number = ? AND id != ?`, number, except).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("contact %d already has the number %s: %w", other, number, smsgw.ErrConflict)
}

func (w *wtx) setGroups(contact int64, names []string, replace bool) error {
	ids, err := groupIDs(w, names)
	if err != nil {
		return err
	}
	if replace {
		if _, err := w.exec(`DELETE FROM group_members WHERE contact_id = ?`, contact); err != nil {
			return err
		}
	}
	for _, g := range ids {
		if _, err := w.exec(`INSERT OR IGNORE INTO group_members (group_id, contact_id) VALUES (?, ?)`, g, contact); err != nil {
			return err
		}
	}
	return nil
}

// AddContact stores a new contact; its groups are created when missing.
func (s *Store) AddContact(ctx context.Context, c contacts.Contact) (contacts.Contact, error) {
	var id int64
	err := s.write(ctx, true, func(w *wtx) error {
		if err := w.numberTaken(c.Number, 0); err != nil {
			return err
		}
		res, err := w.exec(`INSERT INTO contacts (number, name, fields, time_zone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.Number, c.Name, encodeFields(c.Fields), c.TimeZone, w.now, w.now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return w.setGroups(id, c.Groups, false)
	})
	if err != nil {
		return contacts.Contact{}, fmt.Errorf("contacts: add contact: %w", err)
	}
	return s.Contact(ctx, strconv.FormatInt(id, 10))
}

// UpdateContact replaces a stored contact's number, name, fields, groups
// and time zone.
func (s *Store) UpdateContact(ctx context.Context, c contacts.Contact) (contacts.Contact, error) {
	id, ok := rowID(c.ID)
	if !ok {
		return contacts.Contact{}, fmt.Errorf("contacts: contact %q: %w", c.ID, smsgw.ErrNotFound)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		if err := w.numberTaken(c.Number, id); err != nil {
			return err
		}
		res, err := w.exec(`UPDATE contacts SET number = ?, name = ?, fields = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
			c.Number, c.Name, encodeFields(c.Fields), c.TimeZone, w.now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("contact %q: %w", c.ID, smsgw.ErrNotFound)
		}
		return w.setGroups(id, c.Groups, true)
	})
	if err != nil {
		return contacts.Contact{}, fmt.Errorf("contacts: update contact: %w", err)
	}
	return s.Contact(ctx, c.ID)
}

// DeleteContact removes a contact and its memberships.
func (s *Store) DeleteContact(ctx context.Context, id string) error {
	n, ok := rowID(id)
	if !ok {
		return fmt.Errorf("contacts: contact %q: %w", id, smsgw.ErrNotFound)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM contacts WHERE id = ?`, n)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return fmt.Errorf("contact %q: %w", id, smsgw.ErrNotFound)
		}
		_, err = w.exec(`DELETE FROM group_members WHERE contact_id = ?`, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("contacts: delete contact: %w", err)
	}
	return nil
}

// Contacts lists the contacts matching f in id order.
func (s *Store) Contacts(ctx context.Context, f contacts.Filter) ([]contacts.Contact, error) {
	var after int64
	if f.After != "" {
		n, ok := rowID(f.After)
		if !ok {
			return nil, fmt.Errorf("contacts: cursor %q: %w", f.After, smsgw.ErrNotFound)
		}
		after = n
	}
	cols := contactCols
	if f.NoGroups {
		cols = contactColsNoGroups
	}
	q := `SELECT ` + cols + ` FROM contacts c WHERE c.id > ?`
	args := []any{after}
	if f.Group != "" {
		// Walk the group's memberships in contact order (their primary
		// key): an IN over the group would be rebuilt for every page.
		g, err := s.Group(ctx, f.Group)
		if err != nil {
			return nil, err
		}
		gid, _ := strconv.ParseInt(g.ID, 10, 64)
		q = `SELECT ` + cols + ` FROM group_members m JOIN contacts c ON c.id = m.contact_id WHERE m.group_id = ? AND m.contact_id > ?`
		args = []any{gid, after}
	}
	if f.Name != "" {
		q += ` AND c.name LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscape(f.Name)+"%")
	}
	if f.Number != "" {
		q += ` AND instr(c.number, ?) > 0`
		args = append(args, f.Number)
	}
	if f.FieldKey != "" {
		if f.HasValue {
			q += ` AND EXISTS (SELECT 1 FROM json_each(c.fields) j WHERE j.key = ? AND j.value = ?)`
			args = append(args, f.FieldKey, f.FieldValue)
		} else {
			q += ` AND EXISTS (SELECT 1 FROM json_each(c.fields) j WHERE j.key = ?)`
			args = append(args, f.FieldKey)
		}
	}
	if f.Group != "" {
		q += ` ORDER BY m.contact_id` // the membership key's order: no sort
	} else {
		q += ` ORDER BY c.id`
	}
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: list: %w", err)
	}
	defer rows.Close()
	out := []contacts.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("contacts: list: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contacts: list: %w", err)
	}
	return out, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// MergeContacts adds new numbers and merges known ones, in one transaction.
func (s *Store) MergeContacts(ctx context.Context, cs []contacts.Contact, group string) (contacts.MergeResult, error) {
	var res contacts.MergeResult
	err := s.write(ctx, true, func(w *wtx) error {
		res = contacts.MergeResult{}
		var extra []int64
		if group != "" {
			ids, err := groupIDs(w, []string{group})
			if err != nil {
				return err
			}
			extra = ids
		}
		for _, c := range cs {
			var (
				id     int64
				name   string
				fields string
			)
			err := w.queryRow(`SELECT id, name, fields FROM contacts WHERE number = ?`, c.Number).Scan(&id, &name, &fields)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				r, err := w.exec(`INSERT INTO contacts (number, name, fields, time_zone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
					c.Number, c.Name, encodeFields(c.Fields), c.TimeZone, w.now, w.now)
				if err != nil {
					return err
				}
				if id, err = r.LastInsertId(); err != nil {
					return err
				}
				res.Created++
			case err != nil:
				return err
			default:
				old := map[string]string{}
				if err := json.Unmarshal([]byte(fields), &old); err != nil {
					return fmt.Errorf("contact %d fields: %w", id, err)
				}
				for k, v := range c.Fields {
					old[k] = v
				}
				if c.Name != "" {
					name = c.Name
				}
				if _, err := w.exec(`UPDATE contacts SET name = ?, fields = ?, updated_at = ? WHERE id = ?`,
					name, encodeFields(old), w.now, id); err != nil {
					return err
				}
				res.Updated++
			}
			if len(c.Groups) > 0 {
				if err := w.setGroups(id, c.Groups, false); err != nil {
					return err
				}
			}
			for _, g := range extra {
				if _, err := w.exec(`INSERT OR IGNORE INTO group_members (group_id, contact_id) VALUES (?, ?)`, g, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return contacts.MergeResult{}, fmt.Errorf("contacts: merge %d contacts: %w", len(cs), err)
	}
	return res, nil
}

// FieldKeys lists every field key in use, sorted.
func (s *Store) FieldKeys(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT j.key FROM contacts c, json_each(c.fields) j ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("contacts: field keys: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("contacts: field keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

const groupCols = `g.id, g.name, g.description, g.created_at, g.updated_at,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(sc scanner) (contacts.Group, error) {
	var (
		g                         contacts.Group
		id, created, updated, cnt int64
	)
	if err := sc.Scan(&id, &g.Name, &g.Description, &created, &updated, &cnt); err != nil {
		return g, err
	}
	g.ID, g.Created, g.Updated, g.Contacts = strconv.FormatInt(id, 10), msTime(created), msTime(updated), int(cnt)
	return g, nil
}

// Groups lists every group by name.
func (s *Store) Groups(ctx context.Context) ([]contacts.Group, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+groupCols+` FROM contact_groups g ORDER BY g.name`)
	if err != nil {
		return nil, fmt.Errorf("contacts: groups: %w", err)
	}
	defer rows.Close()
	out := []contacts.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("contacts: groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Group returns a group by id, or else by name.
func (s *Store) Group(ctx context.Context, idOrName string) (contacts.Group, error) {
	if n, ok := rowID(idOrName); ok {
		g, err := scanGroup(s.rdb.QueryRowContext(ctx, `SELECT `+groupCols+` FROM contact_groups g WHERE g.id = ?`, n))
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return g, fmt.Errorf("contacts: group %q: %w", idOrName, err)
		}
	}
	g, err := scanGroup(s.rdb.QueryRowContext(ctx, `SELECT `+groupCols+` FROM contact_groups g WHERE g.name = ?`, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("contacts: group %q: %w", idOrName, smsgw.ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("contacts: group %q: %w", idOrName, err)
	}
	return g, nil
}

func (w *wtx) groupNameTaken(name string, except int64) error {
	var other int64
	err := w.queryRow(`SELECT id FROM contact_groups WHERE name = ? AND id != ?`, name, except).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("group %d is already named %q: %w", other, name, smsgw.ErrConflict)
}

// AddGroup stores a new group.
func (s *Store) AddGroup(ctx context.Context, g contacts.Group) (contacts.Group, error) {
	var id int64
	err := s.write(ctx, true, func(w *wtx) error {
		if err := w.groupNameTaken(g.Name, 0); err != nil {
			return err
		}
		res, err := w.exec(`INSERT INTO contact_groups (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			g.Name, g.Description, w.now, w.now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return contacts.Group{}, fmt.Errorf("contacts: add group: %w", err)
	}
	return s.Group(ctx, strconv.FormatInt(id, 10))
}

// UpdateGroup replaces a group's name and description.
func (s *Store) UpdateGroup(ctx context.Context, g contacts.Group) (contacts.Group, error) {
	id, ok := rowID(g.ID)
	if !ok {
		return contacts.Group{}, fmt.Errorf("contacts: group %q: %w", g.ID, smsgw.ErrNotFound)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		if err := w.groupNameTaken(g.Name, id); err != nil {
			return err
		}
		res, err := w.exec(`UPDATE contact_groups SET name = ?, description = ?, updated_at = ? WHERE id = ?`, g.Name, g.Description, w.now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("group %q: %w", g.ID, smsgw.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return contacts.Group{}, fmt.Errorf("contacts: update group: %w", err)
	}
	return s.Group(ctx, g.ID)
}

// DeleteGroup removes a group and its memberships, not its contacts.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	n, ok := rowID(id)
	if !ok {
		return fmt.Errorf("contacts: group %q: %w", id, smsgw.ErrNotFound)
	}
	err := s.write(ctx, true, func(w *wtx) error {
		res, err := w.exec(`DELETE FROM contact_groups WHERE id = ?`, n)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return fmt.Errorf("group %q: %w", id, smsgw.ErrNotFound)
		}
		_, err = w.exec(`DELETE FROM group_members WHERE group_id = ?`, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("contacts: delete group: %w", err)
	}
	return nil
}
