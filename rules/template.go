package rules

import (
	"strings"
)

// Templates are plain text with placeholders in double braces:
//
//	{{from}}          the sender
//	{{text}}          the received text
//	{{modem}}         the id of the modem that received it
//	{{to}}            the number of that modem, when known
//	{{contact.name}}  the sender's contact name (contacts are not kept by
//	                  this version: always empty, so give a default)
//
// A default follows a bar and is used when the value is empty:
// "Hello {{contact.name|there}}". Any other placeholder is refused when the
// rule is saved.

// Vars are the values a template is rendered with.
type Vars struct {
	From, Text, Modem, To string
	// Contact holds the sender's contact fields ("name", ...); empty until
	// contacts exist.
	Contact map[string]string
}

func (v Vars) lookup(name string) (string, bool) {
	switch name {
	case "from":
		return v.From, true
	case "text":
		return v.Text, true
	case "modem":
		return v.Modem, true
	case "to":
		return v.To, true
	}
	if k, ok := strings.CutPrefix(name, "contact."); ok && k != "" {
		return v.Contact[k], true
	}
	return "", false
}

// placeholders calls fn for each {{...}} of t with its name and default,
// and returns t with each replaced by fn's answer. Text outside
// placeholders is kept as is; an unclosed "{{" is literal text.
func placeholders(t string, fn func(name, def string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(t, "{{")
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.Index(t[i+2:], "}}")
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		inner := t[i+2 : i+2+j]
		name, def, _ := strings.Cut(inner, "|")
		b.WriteString(fn(strings.TrimSpace(name), def))
		t = t[i+2+j+2:]
	}
}

// Render fills template t with v.
func Render(t string, v Vars) string {
	return placeholders(t, func(name, def string) string {
		s, _ := v.lookup(name)
		if s == "" {
			return def
		}
		return s
	})
}

// checkTemplate refuses placeholders Render does not know and templates
// too long for a few SMS parts.
func checkTemplate(field, t string) error {
	if len(t) > MaxTemplateBytes {
		return invalid(field, "at most %d bytes", MaxTemplateBytes)
	}
	var bad string
	placeholders(t, func(name, _ string) string {
		if _, ok := (Vars{}).lookup(name); !ok && bad == "" {
			bad = name
		}
		return ""
	})
	if bad != "" {
		return invalid(field, "unknown placeholder {{%s}}: use from, text, modem, to or contact.name", bad)
	}
	return nil
}
