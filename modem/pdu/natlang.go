package pdu

import (
	"fmt"
	"sync"
)

// Language is a national language identifier for the GSM 7-bit shift
// tables, TS 23.038 clause 6.2.1.2.4 (IE 0x24 single shift, 0x25 locking
// shift). 0 is the default alphabet.
type Language byte

// Languages with tables in this package. Other identifiers decode with the
// default tables.
const (
	LanguageDefault    Language = 0
	LanguageTurkish    Language = 1
	LanguageSpanish    Language = 2 // single shift table only
	LanguagePortuguese Language = 3
)

func (l Language) String() string {
	switch l {
	case LanguageDefault:
		return "default"
	case LanguageTurkish:
		return "turkish"
	case LanguageSpanish:
		return "spanish"
	case LanguagePortuguese:
		return "portuguese"
	}
	return fmt.Sprintf("language(%d)", byte(l))
}

// ParseLanguage reads "turkish"/"tr", "spanish"/"es", "portuguese"/"pt".
func ParseLanguage(s string) (Language, error) {
	switch s {
	case "turkish", "tr":
		return LanguageTurkish, nil
	case "spanish", "es":
		return LanguageSpanish, nil
	case "portuguese", "pt":
		return LanguagePortuguese, nil
	}
	return 0, fmt.Errorf("%w: language %q (want turkish, spanish or portuguese)", ErrInvalid, s)
}

// lockingTables: TS 23.038 Annex A.3. Spanish has none (A.3.2 absent): a
// receiver uses the default alphabet.
var lockingTables = map[Language]*[128]rune{
	LanguageTurkish:    turkishLocking(),
	LanguagePortuguese: portugueseLocking(),
}

// singleTables: TS 23.038 Annex A.2.
var singleTables = map[Language]map[byte]rune{
	// A.2.1
	LanguageTurkish: {
		0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|',
		0x47: 'Ğ', 0x49: 'İ', 0x53: 'Ş', 0x63: 'ç', 0x65: '€', 0x67: 'ğ', 0x69: 'ı', 0x73: 'ş',
	},
	// A.2.2
	LanguageSpanish: {
		0x09: 'ç', 0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']',
		0x40: '|', 0x41: 'Á', 0x49: 'Í', 0x4F: 'Ó', 0x55: 'Ú', 0x61: 'á', 0x65: '€', 0x69: 'í', 0x6F: 'ó', 0x75: 'ú',
	},
	// A.2.3
	LanguagePortuguese: {
		0x05: 'ê', 0x09: 'ç', 0x0A: '\f', 0x0B: 'Ô', 0x0C: 'ô', 0x0E: 'Á', 0x0F: 'á',
		0x12: 'Φ', 0x13: 'Γ', 0x14: '^', 0x15: 'Ω', 0x16: 'Π', 0x17: 'Ψ', 0x18: 'Σ', 0x19: 'Θ', 0x1F: 'Ê',
		0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']',
		0x40: '|', 0x41: 'À', 0x49: 'Í', 0x4F: 'Ó', 0x55: 'Ú', 0x5B: 'Ã', 0x5C: 'Õ',
		0x61: 'Â', 0x65: '€', 0x69: 'í', 0x6F: 'ó', 0x75: 'ú', 0x7B: 'ã', 0x7C: 'õ', 0x7F: 'â',
	},
}

// turkishLocking is TS 23.038 A.3.1: the default alphabet with ten cells
// changed.
func turkishLocking() *[128]rune {
	t := gsm7Default
	for k, r := range map[byte]rune{
		0x04: '€', 0x07: 'ı', 0x0B: 'Ğ', 0x0C: 'ğ', 0x1C: 'Ş', 0x1D: 'ş', 0x40: 'İ', 0x60: 'ç',
	} {
		t[k] = r
	}
	return &t
}

// portugueseLocking is TS 23.038 A.3.3.
func portugueseLocking() *[128]rune {
	t := gsm7Default
	for k, r := range map[byte]rune{
		0x04: 'ê', 0x06: 'ú', 0x07: 'í', 0x08: 'ó', 0x09: 'ç', 0x0B: 'Ô', 0x0C: 'ô', 0x0E: 'Á', 0x0F: 'á',
		0x12: 'ª', 0x13: 'Ç', 0x14: 'À', 0x15: '∞', 0x16: '^', 0x17: '\\', 0x18: '€', 0x19: 'Ó', 0x1A: '|',
		0x1C: 'Â', 0x1D: 'â', 0x1E: 'Ê', 0x24: 'º', 0x40: 'Í', 0x5B: 'Ã', 0x5C: 'Õ', 0x5D: 'Ú',
		0x60: '~', 0x7B: 'ã', 0x7C: 'õ', 0x7D: '`',
	} {
		t[k] = r
	}
	return &t
}

type langPair struct{ lock, single Language }

// nationalCharsets are the tables of every pair of national shift tables,
// built on first use: most gateways only ever see the default alphabet,
// and the maps of fifteen pairs would otherwise sit in every process
// from its start.
var nationalCharsets = sync.OnceValue(func() map[langPair]*charset {
	m := map[langPair]*charset{}
	langs := []Language{0, LanguageTurkish, LanguageSpanish, LanguagePortuguese}
	for _, l := range langs {
		for _, s := range langs {
			if l == 0 && s == 0 {
				continue
			}
			lock := &gsm7Default
			if t, ok := lockingTables[l]; ok {
				lock = t
			}
			single := gsm7DefaultExt
			if t, ok := singleTables[s]; ok {
				single = t
			}
			m[langPair{l, s}] = newCharset(lock, single)
		}
	}
	return m
})

// charsetFor returns the tables a receiver uses for the shift IEs given;
// unknown languages fall back to the default tables (TS 23.038 clause
// 6.2.1.2.4: a receiver without the table uses the default one).
func charsetFor(lock, single Language) *charset {
	if _, ok := lockingTables[lock]; !ok {
		lock = 0
	}
	if _, ok := singleTables[single]; !ok {
		single = 0
	}
	if lock == 0 && single == 0 {
		return defaultCharset
	}
	return nationalCharsets()[langPair{lock, single}]
}
