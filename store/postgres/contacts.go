package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"smsgw"
	"smsgw/contacts"
)

var _ contacts.Store = (*Store)(nil)

const contactCols = `c.id, c.number, c.name, c.fields::text, c.time_zone, c.created_at, c.updated_at,
	(SELECT array_agg(g.name) FROM group_members m JOIN contact_groups g ON g.id = m.group_id WHERE m.contact_id = c.id)`

const contactColsNoGroups = `c.id, c.number, c.name, c.fields::text, c.time_zone, c.created_at, c.updated_at, NULL::text[]`

func scanContact(sc pgx.Row) (contacts.Contact, error) {
	var (
		id, created, updated int64
		c                    contacts.Contact
		fields               string
		groups               []string
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
	c.Groups = groups
	if c.Groups == nil {
		c.Groups = []string{}
	}
	sort.Strings(c.Groups)
	return c, nil
}

func encodeFields(f map[string]string) string {
	if len(f) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(f) // a map of strings always encodes
	return string(b)
}

// rowID parses a stored row's id; anything else (a sign, leading zeros,
// not a number) names no row.
func rowID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0 && strconv.FormatInt(n, 10) == id
}

// Contact returns one contact.
func (s *Store) Contact(ctx context.Context, id string) (contacts.Contact, error) {
	if err := s.closedErr(); err != nil {
		return contacts.Contact{}, err
	}
	n, ok := rowID(id)
	if !ok {
		return contacts.Contact{}, fmt.Errorf("contacts: contact %q: %w", id, smsgw.ErrNotFound)
	}
	return s.contactWhere(ctx, `c.id = $1`, n)
}

// ContactByNumber returns the contact with this E.164 number.
func (s *Store) ContactByNumber(ctx context.Context, number string) (contacts.Contact, error) {
	return s.contactWhere(ctx, `c.number = $1`, number)
}

func (s *Store) contactWhere(ctx context.Context, where string, arg any) (contacts.Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts c WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("contacts: contact %v: %w", arg, smsgw.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("contacts: contact %v: %w", arg, mapErr(err))
	}
	return c, nil
}

// ensureGroups creates the groups named that do not exist yet (names
// match whatever their case; the first spelling stays) and locks them all
// against deletion until the transaction ends, so that the memberships it
// is about to write cannot outlive their group (DeleteGroup on another
// gateway waits).
func ensureGroups(t *txn, names []string, now int64) error {
	if len(names) == 0 {
		return nil
	}
	_, err := t.exec(`INSERT INTO contact_groups (name, created_at, updated_at)
		SELECT DISTINCT ON (lower(n)) n, $2::bigint, $2::bigint FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)
		ORDER BY lower(n), i
		ON CONFLICT ((lower(name))) DO NOTHING`, names, now)
	if err != nil {
		return fmt.Errorf("create groups: %w", err)
	}
	if _, err := t.exec(`SELECT id FROM contact_groups WHERE lower(name) = ANY (SELECT lower(n) FROM unnest($1::text[]) n)
		ORDER BY id FOR KEY SHARE`, names); err != nil {
		return fmt.Errorf("lock groups: %w", err)
	}
	return nil
}

func numberTaken(t *txn, number string, except int64) error {
	var other int64
	err := t.queryRow(`SELECT id FROM contacts WHERE number = $1 AND id <> $2`, number, except).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("contact %d already has the number %s: %w", other, number, smsgw.ErrConflict)
}

func setGroups(t *txn, contact int64, names []string, replace bool, now int64) error {
	if replace {
		if _, err := t.exec(`DELETE FROM group_members WHERE contact_id = $1`, contact); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		return nil
	}
	if err := ensureGroups(t, names, now); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO group_members (group_id, contact_id)
		SELECT g.id, $1 FROM contact_groups g WHERE lower(g.name) = ANY (SELECT lower(n) FROM unnest($2::text[]) n)
		ON CONFLICT DO NOTHING`, contact, names)
	return err
}

// AddContact stores a new contact; its groups are created when missing.
func (s *Store) AddContact(ctx context.Context, c contacts.Contact) (contacts.Contact, error) {
	now := s.opt.Now().UnixMilli()
	var id int64
	err := s.write(ctx, func(t *txn) error {
		if err := numberTaken(t, c.Number, 0); err != nil {
			return err
		}
		err := t.queryRow(`INSERT INTO contacts (number, name, fields, time_zone, created_at, updated_at)
			VALUES ($1, $2, $3::jsonb, $4, $5, $5) RETURNING id`,
			c.Number, c.Name, encodeFields(c.Fields), c.TimeZone, now).Scan(&id)
		if isUniqueViolation(err, "") {
			return fmt.Errorf("another contact has the number %s: %w", c.Number, smsgw.ErrConflict)
		}
		if err != nil {
			return err
		}
		return setGroups(t, id, c.Groups, false, now)
	})
	if err != nil {
		return contacts.Contact{}, fmt.Errorf("contacts: add contact: %w", mapErr(err))
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
	now := s.opt.Now().UnixMilli()
	err := s.write(ctx, func(t *txn) error {
		if err := numberTaken(t, c.Number, id); err != nil {
			return err
		}
		tag, err := t.exec(`UPDATE contacts SET number = $1, name = $2, fields = $3::jsonb, time_zone = $4, updated_at = $5
			WHERE id = $6`, c.Number, c.Name, encodeFields(c.Fields), c.TimeZone, now, id)
		if isUniqueViolation(err, "") {
			return fmt.Errorf("another contact has the number %s: %w", c.Number, smsgw.ErrConflict)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("contact %q: %w", c.ID, smsgw.ErrNotFound)
		}
		return setGroups(t, id, c.Groups, true, now)
	})
	if err != nil {
		return contacts.Contact{}, fmt.Errorf("contacts: update contact: %w", mapErr(err))
	}
	return s.Contact(ctx, c.ID)
}

// DeleteContact removes a contact and its memberships.
func (s *Store) DeleteContact(ctx context.Context, id string) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	n, ok := rowID(id)
	if !ok {
		return fmt.Errorf("contacts: contact %q: %w", id, smsgw.ErrNotFound)
	}
	err := s.write(ctx, func(t *txn) error {
		// The row lock this takes makes a merge writing the contact's
		// memberships finish first, so the delete below sees them.
		tag, err := t.exec(`DELETE FROM contacts WHERE id = $1`, n)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("contact %q: %w", id, smsgw.ErrNotFound)
		}
		_, err = t.exec(`DELETE FROM group_members WHERE contact_id = $1`, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("contacts: delete contact: %w", err)
	}
	return nil
}

// Contacts lists the contacts matching f in id order.
func (s *Store) Contacts(ctx context.Context, f contacts.Filter) ([]contacts.Contact, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
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
	q := `SELECT ` + cols + ` FROM contacts c WHERE c.id > $1`
	args := []any{after}
	if f.Group != "" {
		// Walk the group's memberships in contact order (their primary
		// key): an IN over the group would be rebuilt for every page.
		g, err := s.Group(ctx, f.Group)
		if err != nil {
			return nil, err
		}
		gid, _ := strconv.ParseInt(g.ID, 10, 64)
		q = `SELECT ` + cols + ` FROM group_members m JOIN contacts c ON c.id = m.contact_id WHERE m.contact_id > $1 AND m.group_id = $2`
		args = append(args, gid)
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Name != "" {
		q += ` AND c.name ILIKE ` + arg("%"+likeEscape(f.Name)+"%") + ` ESCAPE '\'`
	}
	if f.Number != "" {
		q += ` AND strpos(c.number, ` + arg(f.Number) + `) > 0`
	}
	if f.FieldKey != "" {
		if f.HasValue {
			q += ` AND c.fields ->> ` + arg(f.FieldKey) + ` = ` + arg(f.FieldValue)
		} else {
			q += ` AND jsonb_exists(c.fields, ` + arg(f.FieldKey) + `)`
		}
	}
	if f.Group != "" {
		q += ` ORDER BY m.contact_id` // the membership key's order: no sort
	} else {
		q += ` ORDER BY c.id`
	}
	if f.Limit > 0 {
		q += ` LIMIT ` + arg(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: list: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (contacts.Contact, error) { return scanContact(r) })
	if err != nil {
		return nil, fmt.Errorf("contacts: list: %w", mapErr(err))
	}
	if out == nil {
		out = []contacts.Contact{}
	}
	return out, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// MergeContacts adds new numbers and merges known ones, in one
// transaction and a few statements whatever the batch's size: the batch
// goes to the server as arrays, is upserted in number order (so two
// gateways importing overlapping files lock rows in the same order), and
// memberships follow in one insert.
func (s *Store) MergeContacts(ctx context.Context, cs []contacts.Contact, group string) (contacts.MergeResult, error) {
	var res contacts.MergeResult
	// A number twice in the batch merges here, as the database merges it
	// with a stored one: the later row wins field by field.
	idx := make(map[string]int, len(cs))
	batch := make([]contacts.Contact, 0, len(cs))
	for _, c := range cs {
		if i, ok := idx[c.Number]; ok {
			p := &batch[i]
			if c.Name != "" {
				p.Name = c.Name
			}
			maps.Copy(p.Fields, c.Fields)
			p.Groups = append(p.Groups, c.Groups...)
			res.Updated++
			continue
		}
		idx[c.Number] = len(batch)
		c.Fields = maps.Clone(c.Fields)
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		c.Groups = append([]string(nil), c.Groups...)
		batch = append(batch, c)
	}
	if len(batch) == 0 {
		return res, nil
	}
	numbers := make([]string, len(batch))
	names := make([]string, len(batch))
	fields := make([]string, len(batch))
	zones := make([]string, len(batch))
	var memNumbers, memGroups, groups []string
	if group != "" {
		groups = append(groups, group)
	}
	for i, c := range batch {
		numbers[i], names[i], fields[i], zones[i] = c.Number, c.Name, encodeFields(c.Fields), c.TimeZone
		for _, g := range c.Groups {
			memNumbers, memGroups = append(memNumbers, c.Number), append(memGroups, g)
			groups = append(groups, g)
		}
		if group != "" {
			memNumbers, memGroups = append(memNumbers, c.Number), append(memGroups, group)
		}
	}
	now := s.opt.Now().UnixMilli()
	created, updated := 0, 0
	err := s.write(ctx, func(t *txn) error {
		created, updated = 0, 0
		rows, err := t.query(`INSERT INTO contacts (number, name, fields, time_zone, created_at, updated_at)
			SELECT n, nm, f::jsonb, tz, $5::bigint, $5::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(n, nm, f, tz)
			ORDER BY n
			ON CONFLICT (number) DO UPDATE SET
				name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
				fields = contacts.fields || excluded.fields, updated_at = excluded.updated_at
			RETURNING xmax = 0`, numbers, names, fields, zones, now)
		if err != nil {
			return err
		}
		// xmax is 0 on a row this statement inserted, and set on one it
		// updated.
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		if err != nil {
			return err
		}
		for _, ins := range inserted {
			if ins {
				created++
			} else {
				updated++
			}
		}
		if len(memNumbers) == 0 {
			return nil
		}
		if err := ensureGroups(t, groups, now); err != nil {
			return err
		}
		_, err = t.exec(`INSERT INTO group_members (group_id, contact_id)
			SELECT DISTINCT g.id, c.id FROM unnest($1::text[], $2::text[]) AS u(n, gn)
			JOIN contacts c ON c.number = u.n JOIN contact_groups g ON lower(g.name) = lower(u.gn)
			ORDER BY 1, 2
			ON CONFLICT DO NOTHING`, memNumbers, memGroups)
		return err
	})
	if err != nil {
		return contacts.MergeResult{}, fmt.Errorf("contacts: merge %d contacts: %w", len(cs), err)
	}
	res.Created += created
	res.Updated += updated
	return res, nil
}

// FieldKeys lists every field key in use, sorted.
func (s *Store) FieldKeys(ctx context.Context) ([]string, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT k COLLATE "C" FROM contacts c, jsonb_object_keys(c.fields) k ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("contacts: field keys: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("contacts: field keys: %w", mapErr(err))
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

const groupCols = `g.id, g.name, g.description, g.created_at, g.updated_at,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(sc pgx.Row) (contacts.Group, error) {
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

// Groups lists every group by name, whatever its case.
func (s *Store) Groups(ctx context.Context) ([]contacts.Group, error) {
	if err := s.closedErr(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+groupCols+` FROM contact_groups g ORDER BY lower(g.name) COLLATE "C", g.id`)
	if err != nil {
		return nil, fmt.Errorf("contacts: groups: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (contacts.Group, error) { return scanGroup(r) })
	if err != nil {
		return nil, fmt.Errorf("contacts: groups: %w", mapErr(err))
	}
	if out == nil {
		out = []contacts.Group{}
	}
	return out, nil
}

// Group returns a group by id, or else by name.
func (s *Store) Group(ctx context.Context, idOrName string) (contacts.Group, error) {
	if err := s.closedErr(); err != nil {
		return contacts.Group{}, err
	}
	if n, ok := rowID(idOrName); ok {
		g, err := scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupCols+` FROM contact_groups g WHERE g.id = $1`, n))
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return g, fmt.Errorf("contacts: group %q: %w", idOrName, mapErr(err))
		}
	}
	g, err := scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupCols+` FROM contact_groups g WHERE lower(g.name) = lower($1)`, idOrName))
	if errors.Is(err, pgx.ErrNoRows) {
		return g, fmt.Errorf("contacts: group %q: %w", idOrName, smsgw.ErrNotFound)
	}
	if err != nil {
		return g, fmt.Errorf("contacts: group %q: %w", idOrName, mapErr(err))
	}
	return g, nil
}

func groupNameTaken(t *txn, name string, except int64) error {
	var other int64
	err := t.queryRow(`SELECT id FROM contact_groups WHERE lower(name) = lower($1) AND id <> $2`, name, except).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("group %d is already named %q: %w", other, name, smsgw.ErrConflict)
}

// AddGroup stores a new group.
func (s *Store) AddGroup(ctx context.Context, g contacts.Group) (contacts.Group, error) {
	now := s.opt.Now().UnixMilli()
	var id int64
	err := s.write(ctx, func(t *txn) error {
		if err := groupNameTaken(t, g.Name, 0); err != nil {
			return err
		}
		err := t.queryRow(`INSERT INTO contact_groups (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3)
			RETURNING id`, g.Name, g.Description, now).Scan(&id)
		if isUniqueViolation(err, "") {
			return fmt.Errorf("another group is named %q: %w", g.Name, smsgw.ErrConflict)
		}
		return err
	})
	if err != nil {
		return contacts.Group{}, fmt.Errorf("contacts: add group: %w", mapErr(err))
	}
	return s.Group(ctx, strconv.FormatInt(id, 10))
}

// UpdateGroup replaces a group's name and description.
func (s *Store) UpdateGroup(ctx context.Context, g contacts.Group) (contacts.Group, error) {
	id, ok := rowID(g.ID)
	if !ok {
		return contacts.Group{}, fmt.Errorf("contacts: group %q: %w", g.ID, smsgw.ErrNotFound)
	}
	now := s.opt.Now().UnixMilli()
	err := s.write(ctx, func(t *txn) error {
		if err := groupNameTaken(t, g.Name, id); err != nil {
			return err
		}
		tag, err := t.exec(`UPDATE contact_groups SET name = $1, description = $2, updated_at = $3 WHERE id = $4`,
			g.Name, g.Description, now, id)
		if isUniqueViolation(err, "") {
			return fmt.Errorf("another group is named %q: %w", g.Name, smsgw.ErrConflict)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("group %q: %w", g.ID, smsgw.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return contacts.Group{}, fmt.Errorf("contacts: update group: %w", mapErr(err))
	}
	return s.Group(ctx, g.ID)
}

// DeleteGroup removes a group and its memberships, not its contacts.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	if err := s.closedErr(); err != nil {
		return err
	}
	n, ok := rowID(id)
	if !ok {
		return fmt.Errorf("contacts: group %q: %w", id, smsgw.ErrNotFound)
	}
	err := s.write(ctx, func(t *txn) error {
		// Waits for the writers of its memberships (they hold the row
		// for key share), so the delete below sees what they wrote.
		tag, err := t.exec(`DELETE FROM contact_groups WHERE id = $1`, n)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("group %q: %w", id, smsgw.ErrNotFound)
		}
		_, err = t.exec(`DELETE FROM group_members WHERE group_id = $1`, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("contacts: delete group: %w", err)
	}
	return nil
}
