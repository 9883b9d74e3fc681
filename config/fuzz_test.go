package config

import "testing"

// FuzzParseConfig: any text either parses into a configuration that
// validates, or fails with an error; never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add("")
	f.Add("[server]\nlisten = \"127.0.0.1:1\"\ntokens = [\"a\", {token = \"b\", scope = \"read\"}]\n")
	f.Add("[[modem]]\nport = \"/dev/x\"\nrate = [\"10/min\", \"200/day\"]\npin = \"1234\"\n")
	f.Add("[retry]\nbackoff = \"1s\"\nmax_backoff = \"1m\"\npolicy = \"at-most-once\"\n")
	f.Add("[inbound]\nexec = [\"/bin/true\"]\n[webhook]\nurl = \"http://x/y\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}
