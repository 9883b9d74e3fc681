// Package contacts keeps the people a business texts: contacts (an E.164
// number, a name, free fields, groups and a time zone) and groups, their
// validation, CSV import and export, and the storage interface the drivers
// implement (store/sqlite; checked by store/storetest).
package contacts

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"smsgw"
)

// Limits on what a contact may hold, so that one row cannot grow without
// bound and a field key can always be named in a template.
const (
	MaxNameLen   = 200  // characters
	MaxFields    = 50   // per contact
	MaxKeyLen    = 64   // bytes, [A-Za-z0-9_-]
	MaxValueLen  = 1000 // characters
	MaxGroups    = 100  // per contact
	MaxGroupName = 100  // characters
)

// Contact is one person to text.
type Contact struct {
	ID     string `json:"id"`
	Number string `json:"number"` // E.164, unique
	Name   string `json:"name"`
	// Fields are free key/value pairs ({{fields.KEY}} in templates).
	Fields map[string]string `json:"fields"`
	// Groups are the names of the groups the contact belongs to, sorted.
	Groups []string `json:"groups"`
	// TimeZone is an IANA zone: the one set, else the number's own.
	TimeZone string    `json:"time_zone"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Group is a named set of contacts.
type Group struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Contacts    int       `json:"contacts"` // members, counted when read
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Filter selects contacts; every set criterion must hold. Results are in id
// order, after the cursor After (an id), at most Limit of them.
type Filter struct {
	Name     string // case-insensitive substring of the name
	Number   string // substring of the E.164 number
	FieldKey string // the contact has this field ...
	// FieldValue, with FieldKey, is the field's exact value.
	FieldValue string
	HasValue   bool   // FieldValue is set (an empty value is a value)
	Group      string // member of this group (id or name)
	After      string // cursor: the last id of the previous page
	Limit      int    // 0: no limit
	// NoGroups leaves each contact's Groups empty, which spares a large
	// listing the cost of reading memberships.
	NoGroups bool
}

// MergeResult counts what a merge did.
type MergeResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// Store is what contacts need of a storage driver. Ids are the driver's;
// an unknown id is smsgw.ErrNotFound, a number or group name already taken
// smsgw.ErrConflict.
type Store interface {
	// AddContact stores a new, normalised contact; its groups (by name)
	// are created when missing.
	AddContact(ctx context.Context, c Contact) (Contact, error)
	// Contact returns one contact.
	Contact(ctx context.Context, id string) (Contact, error)
	// ContactByNumber returns the contact with this E.164 number.
	ContactByNumber(ctx context.Context, number string) (Contact, error)
	// UpdateContact replaces number, name, fields, groups and time zone of
	// a stored contact.
	UpdateContact(ctx context.Context, c Contact) (Contact, error)
	// DeleteContact removes a contact and its memberships.
	DeleteContact(ctx context.Context, id string) error
	// Contacts lists contacts matching f.
	Contacts(ctx context.Context, f Filter) ([]Contact, error)
	// MergeContacts adds the contacts whose number is new and merges the
	// others into the stored one (a non-empty name replaces the name,
	// fields are overwritten key by key, the time zone is kept), in one
	// transaction; every contact also joins the group named group (created
	// if missing) when group is not empty, and the groups it names.
	MergeContacts(ctx context.Context, cs []Contact, group string) (MergeResult, error)
	// FieldKeys lists every field key in use, sorted.
	FieldKeys(ctx context.Context) ([]string, error)

	// Groups lists every group by name.
	Groups(ctx context.Context) ([]Group, error)
	// Group returns a group by id, or else by name.
	Group(ctx context.Context, idOrName string) (Group, error)
	// AddGroup stores a new group.
	AddGroup(ctx context.Context, g Group) (Group, error)
	// UpdateGroup replaces a group's name and description.
	UpdateGroup(ctx context.Context, g Group) (Group, error)
	// DeleteGroup removes a group and its memberships, not its contacts.
	DeleteGroup(ctx context.Context, id string) error
}

// ValidationError says which field of a contact or group is wrong and why.
type ValidationError struct {
	Field, Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// NormalizeNumber turns a number as people write it into E.164 with the
// default calling code cc; short codes are refused (a contact is a person).
func NormalizeNumber(raw, cc string) (string, error) {
	n, err := smsgw.NormalizeE164(raw, cc)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(n, "+") {
		return "", fmt.Errorf("%q is a short code, not a person's number", raw)
	}
	return n, nil
}

// ValidKey says whether k can name a field: 1 to MaxKeyLen letters,
// digits, '_' or '-', so that {{fields.KEY}} can always name it.
func ValidKey(k string) bool {
	if k == "" || len(k) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func cleanText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalid(field, "%s has %d characters; at most %d are allowed", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' {
			return "", invalid(field, "%s contains a control character", field)
		}
	}
	return s, nil
}

// GroupName checks and trims a group name.
func GroupName(field, s string) (string, error) {
	n, err := cleanText(field, s, MaxGroupName)
	if err != nil {
		return "", err
	}
	if n == "" {
		return "", invalid(field, "a group name must not be empty")
	}
	return n, nil
}

// Normalize checks c and puts it in stored form: the number in E.164 (cc
// is the default calling code), name and fields trimmed, groups trimmed,
// de-duplicated and sorted, the time zone checked or, when empty, taken
// from the number. Errors are *ValidationError.
func Normalize(c *Contact, cc string) error {
	n, err := NormalizeNumber(c.Number, cc)
	if err != nil {
		return invalid("number", "%v", err)
	}
	c.Number = n
	if c.Name, err = cleanText("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	if len(c.Fields) > MaxFields {
		return invalid("fields", "a contact has at most %d fields, not %d", MaxFields, len(c.Fields))
	}
	fields := make(map[string]string, len(c.Fields))
	for k, v := range c.Fields {
		if !ValidKey(k) {
			return invalid("fields", "field key %q must be 1 to %d letters, digits, '_' or '-'", clip(k, 80), MaxKeyLen)
		}
		if fields[k], err = cleanText("fields."+k, v, MaxValueLen); err != nil {
			return err
		}
	}
	c.Fields = fields
	if len(c.Groups) > MaxGroups {
		return invalid("groups", "a contact is in at most %d groups", MaxGroups)
	}
	seen := map[string]bool{}
	groups := make([]string, 0, len(c.Groups))
	for _, g := range c.Groups {
		g, err := GroupName("groups", g)
		if err != nil {
			return err
		}
		if !seen[strings.ToLower(g)] {
			seen[strings.ToLower(g)] = true
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	c.Groups = groups
	c.TimeZone = strings.TrimSpace(c.TimeZone)
	if c.TimeZone == "" {
		c.TimeZone = smsgw.TimeZoneOf(c.Number)
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" || len(c.TimeZone) > 64 {
		return invalid("time_zone", "%q is not an IANA time zone such as Europe/Berlin", clip(c.TimeZone, 80))
	}
	return nil
}

// NormalizeGroup checks and trims a group.
func NormalizeGroup(g *Group) error {
	n, err := GroupName("name", g.Name)
	if err != nil {
		return err
	}
	g.Name = n
	g.Description, err = cleanText("description", g.Description, MaxValueLen)
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
