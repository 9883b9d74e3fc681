package daemon

import (
	"bytes"
	"regexp"

	"github.com/BurntSushi/toml"

	"smsgw"
	"smsgw/config"
	"smsgw/web"
)

// webTokens are the configured API tokens as the dashboard's sign-in
// takes them.
func webTokens(ts []config.Token) []web.Token {
	out := make([]web.Token, 0, len(ts))
	for _, t := range ts {
		out = append(out, web.Token{Secret: t.Value.Reveal(), Scope: smsgw.Scope(t.Scope)})
	}
	return out
}

var (
	urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"']+@`)
	urlQuery    = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'?]*)\?[^\s"']*`)
)

// SettingsText is the effective configuration as the dashboard's Settings
// page shows it: TOML, with every secret redacted (the Secret type prints
// none, and credentials or query strings in URLs, where tokens often
// hide, are cut out).
func SettingsText(cfg config.Config) string {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(cfg); err != nil {
		return "# the configuration could not be shown: " + err.Error()
	}
	s := urlUserinfo.ReplaceAllString(b.String(), "${1}[redacted]@")
	return urlQuery.ReplaceAllString(s, "${1}?[redacted]")
}
