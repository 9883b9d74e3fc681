package smsgw

import "fmt"

// Category says what kind of traffic a message is, which decides whether
// consent rules stop it: an opted-out number receives no marketing, while
// transactional messages (one-time codes, alerts) still go unless the
// deployment suppresses everything.
type Category string

// Message categories.
const (
	// CategoryTransactional is the default for plain API sends.
	CategoryTransactional Category = "transactional"
	// CategoryMarketing is the default for campaigns.
	CategoryMarketing Category = "marketing"
)

// ParseCategory accepts "transactional", "marketing" or "" (meaning
// transactional).
func ParseCategory(s string) (Category, error) {
	switch Category(s) {
	case "", CategoryTransactional:
		return CategoryTransactional, nil
	case CategoryMarketing:
		return CategoryMarketing, nil
	}
	return "", fmt.Errorf("category %q: want %q or %q", s, CategoryTransactional, CategoryMarketing)
}
