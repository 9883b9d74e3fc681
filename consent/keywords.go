package consent

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Action is what a consent record says.
type Action string

// Actions.
const (
	ActionOptOut Action = "opt_out"
	ActionOptIn  Action = "opt_in"
	ActionHelp   Action = "help"
)

// ParseAction accepts opt_out, opt_in and help.
func ParseAction(s string) (Action, error) {
	switch a := Action(s); a {
	case ActionOptOut, ActionOptIn, ActionHelp:
		return a, nil
	}
	return "", fmt.Errorf("action %q: want %q or %q", s, ActionOptIn, ActionOptOut)
}

// Keywords are the words a received message is matched against; each
// matches only as the whole message (see Normalize).
type Keywords struct {
	OptOut []string
	OptIn  []string
	// Confirm answers a pending double opt-in request; it means nothing
	// without one.
	Confirm []string
	Help    []string
}

// English is the default set: the opt-out words are the US FCC 2024
// revocation list plus the common carrier defaults.
var English = Keywords{
	OptOut:  []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"},
	OptIn:   []string{"START", "UNSTOP"},
	Confirm: []string{"YES"},
	Help:    []string{"HELP", "INFO"},
}

// Languages are ready keyword sets that can be added to the default:
// "de", "fr" and "es". Accented words match with or without their accents.
var Languages = map[string]Keywords{
	"de": {
		OptOut:  []string{"STOPP", "ABMELDEN", "ABBESTELLEN", "ENDE", "AUSTRAGEN", "KÜNDIGEN"},
		OptIn:   []string{"ANMELDEN", "START"},
		Confirm: []string{"JA"},
		Help:    []string{"HILFE", "INFO"},
	},
	"fr": {
		OptOut:  []string{"ARRÊT", "ARRÊTER", "STOP", "DÉSABONNER", "DÉSINSCRIRE", "DÉSINSCRIPTION"},
		OptIn:   []string{"ABONNER", "START"},
		Confirm: []string{"OUI"},
		Help:    []string{"AIDE", "INFO"},
	},
	"es": {
		OptOut:  []string{"ALTO", "PARAR", "BAJA", "CANCELAR", "DETENER"},
		OptIn:   []string{"ALTA", "INICIAR", "COMENZAR"},
		Confirm: []string{"SÍ"},
		Help:    []string{"AYUDA", "INFO"},
	},
}

// LanguageNames lists the keys of Languages, sorted.
func LanguageNames() []string {
	out := make([]string, 0, len(Languages))
	for k := range Languages {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Merge returns k with the words of o added.
func (k Keywords) Merge(o Keywords) Keywords {
	return Keywords{
		OptOut:  append(append([]string(nil), k.OptOut...), o.OptOut...),
		OptIn:   append(append([]string(nil), k.OptIn...), o.OptIn...),
		Confirm: append(append([]string(nil), k.Confirm...), o.Confirm...),
		Help:    append(append([]string(nil), k.Help...), o.Help...),
	}
}

// Match is what a received text means to consent.
type Match int

// Matches.
const (
	NoMatch Match = iota
	MatchOptOut
	MatchOptIn
	MatchConfirm
	MatchHelp
)

// Matcher recognises keywords. Build it with NewMatcher; it is safe for
// concurrent use.
type Matcher struct {
	words map[string]Match
}

// NewMatcher indexes the keywords. A word in more than one list is an
// error, as is a word that normalises to nothing.
func NewMatcher(k Keywords) (*Matcher, error) {
	m := &Matcher{words: map[string]Match{}}
	for _, l := range []struct {
		words []string
		what  Match
		name  string
	}{{k.OptOut, MatchOptOut, "opt-out"}, {k.OptIn, MatchOptIn, "opt-in"}, {k.Confirm, MatchConfirm, "confirm"}, {k.Help, MatchHelp, "help"}} {
		for _, w := range l.words {
			n := Normalize(w)
			if n == "" {
				return nil, fmt.Errorf("consent: %s keyword %q has no letters", l.name, w)
			}
			if prev, ok := m.words[n]; ok && prev != l.what {
				return nil, fmt.Errorf("consent: keyword %q is in two lists", w)
			}
			m.words[n] = l.what
		}
	}
	return m, nil
}

// Match returns what text means when it is, as a whole, one of the
// keywords. "stop the car" is not a STOP.
func (m *Matcher) Match(text string) Match {
	if len(text) > 64 {
		return NoMatch // longer than any keyword with room for decoration
	}
	return m.words[Normalize(text)]
}

// Normalize is the form keywords are compared in: surrounding whitespace,
// punctuation and symbols (emoji too) dropped, inner runs of whitespace
// made one space, letters upper-cased and stripped of accents.
func Normalize(s string) string {
	trim := func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r)
	}
	s = strings.TrimFunc(s, trim)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent: folded like a precomposed one
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(fold(unicode.ToUpper(r)))
	}
	return b.String()
}

// fold strips the accent of the upper-case letters of the languages with
// ready sets, so "arret" matches ARRÊT and "si" SÍ.
func fold(r rune) rune {
	switch r {
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
		return 'A'
	case 'Ç':
		return 'C'
	case 'È', 'É', 'Ê', 'Ë':
		return 'E'
	case 'Ì', 'Í', 'Î', 'Ï':
		return 'I'
	case 'Ñ':
		return 'N'
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö':
		return 'O'
	case 'Ù', 'Ú', 'Û', 'Ü':
		return 'U'
	case 'Ý', 'Ÿ':
		return 'Y'
	}
	return r
}
