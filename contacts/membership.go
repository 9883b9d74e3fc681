package contacts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"smsgw"
)

// Membership changes the groups of the contact with a given number, for
// the keyword rules' group actions (it satisfies rules.Groups; the daemon
// passes it so that rules need not import contacts).
type Membership struct {
	Store Store
	// CC is the default calling code for numbers without one.
	CC string
}

// AddToGroup puts the contact with number into the group named group. A
// missing contact is created with just the number and a missing group is
// created, as a CSV import into a group does; a contact already there
// keeps its name and fields.
func (m Membership) AddToGroup(ctx context.Context, number, group string) error {
	g, err := GroupName("group", group)
	if err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	c := Contact{Number: number}
	if err := Normalize(&c, m.CC); err != nil {
		return fmt.Errorf("contacts: sender %w", err)
	}
	if _, err := m.Store.MergeContacts(ctx, []Contact{c}, g); err != nil {
		return fmt.Errorf("contacts: add %s to group %q: %w", c.Number, g, err)
	}
	return nil
}

// RemoveFromGroup takes the contact with number out of the group named
// group (names compare without case, as the store's do). A number without
// a contact, or a contact not in the group, is left as it is.
func (m Membership) RemoveFromGroup(ctx context.Context, number, group string) error {
	g, err := GroupName("group", group)
	if err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	n, err := NormalizeNumber(number, m.CC)
	if err != nil {
		return fmt.Errorf("contacts: sender: %w", err)
	}
	c, err := m.Store.ContactByNumber(ctx, n)
	if errors.Is(err, smsgw.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("contacts: remove %s from group %q: %w", n, g, err)
	}
	kept := c.Groups[:0:0]
	for _, have := range c.Groups {
		if !strings.EqualFold(have, g) {
			kept = append(kept, have)
		}
	}
	if len(kept) == len(c.Groups) {
		return nil
	}
	c.Groups = kept
	if _, err := m.Store.UpdateContact(ctx, c); err != nil {
		return fmt.Errorf("contacts: remove %s from group %q: %w", n, g, err)
	}
	return nil
}
