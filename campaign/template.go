// Package campaign is bulk sending for businesses: personalised templates
// counted part by part as the PDU codec will cut them, price tables and
// quotes.
package campaign

import (
	"fmt"
	"strings"

	"smsgw/contacts"
)

// MaxTemplateLen bounds a template's source, in bytes.
const MaxTemplateLen = 10000

// Template is a parsed message template: text with placeholders
// {{name}}, {{number}} and {{fields.KEY}}, each with an optional default
// after a bar ({{name|there}}; {{name|}} may be empty). A placeholder
// without a default is required: a recipient without that value is skipped,
// never sent a broken text.
type Template struct {
	src   string
	nodes []node
}

type node struct {
	lit    string // literal text, when kind is ""
	kind   string // "name", "number", "field" or "" (a literal)
	key    string // the field key
	def    string
	hasDef bool
}

// TemplateError is a template that cannot be parsed.
type TemplateError struct {
	Offset int // byte offset of the fault in the source
	Reason string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template at byte %d: %s", e.Offset, e.Reason)
}

// ParseTemplate parses src. "{{" always opens a placeholder; an unknown
// placeholder or an unclosed one is a *TemplateError.
func ParseTemplate(src string) (*Template, error) {
	if len(src) > MaxTemplateLen {
		return nil, &TemplateError{Offset: MaxTemplateLen, Reason: fmt.Sprintf("a template has at most %d bytes", MaxTemplateLen)}
	}
	t := &Template{src: src}
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.nodes = append(t.nodes, node{lit: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.nodes = append(t.nodes, node{lit: rest[:i]})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, &TemplateError{Offset: off + i, Reason: "\"{{\" is not closed by \"}}\""}
		}
		inner := rest[i+2 : i+2+j]
		n, err := parsePlaceholder(inner)
		if err != nil {
			return nil, &TemplateError{Offset: off + i, Reason: err.Error()}
		}
		t.nodes = append(t.nodes, n)
		adv := i + 2 + j + 2
		rest, off = rest[adv:], off+adv
	}
}

func parsePlaceholder(inner string) (node, error) {
	name, def, hasDef := strings.Cut(inner, "|")
	name = strings.TrimSpace(name)
	n := node{def: strings.TrimSpace(def), hasDef: hasDef}
	switch {
	case name == "name", name == "number":
		n.kind = name
	case strings.HasPrefix(name, "fields."):
		n.kind, n.key = "field", strings.TrimPrefix(name, "fields.")
		if !contacts.ValidKey(n.key) {
			return n, fmt.Errorf("{{%s}}: a field key is 1 to %d letters, digits, '_' or '-'", clipStr(name, 80), contacts.MaxKeyLen)
		}
	default:
		return n, fmt.Errorf("unknown placeholder {{%s}}: use {{name}}, {{number}} or {{fields.KEY}}, with an optional default after '|'", clipStr(name, 80))
	}
	if strings.Contains(def, "{{") {
		return n, fmt.Errorf("a default cannot hold a placeholder")
	}
	return n, nil
}

// Source is the template as written.
func (t *Template) Source() string { return t.src }

// Personal says whether the template has any placeholder.
func (t *Template) Personal() bool {
	for _, n := range t.nodes {
		if n.kind != "" {
			return true
		}
	}
	return false
}

// Recipient is what a template is rendered for.
type Recipient struct {
	Number string
	Name   string
	Fields map[string]string
}

// MissingError says which required placeholder a recipient has no value
// for.
type MissingError struct{ Placeholder string }

func (e *MissingError) Error() string {
	return "no value for {{" + e.Placeholder + "}} and no default"
}

// Render fills the placeholders for r. An empty value takes the default;
// with no default it is a *MissingError.
func (t *Template) Render(r Recipient) (string, error) {
	if len(t.nodes) == 1 && t.nodes[0].kind == "" {
		return t.nodes[0].lit, nil
	}
	var b strings.Builder
	b.Grow(len(t.src) + 32)
	for _, n := range t.nodes {
		var v, ph string
		switch n.kind {
		case "":
			b.WriteString(n.lit)
			continue
		case "name":
			v, ph = r.Name, "name"
		case "number":
			v, ph = r.Number, "number"
		case "field":
			v, ph = r.Fields[n.key], "fields."+n.key
		}
		if v == "" {
			if !n.hasDef {
				return "", &MissingError{Placeholder: ph}
			}
			v = n.def
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func clipStr(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
