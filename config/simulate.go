package config

// SimulateConfig is the [simulate] table: emulated modems instead of (or
// besides) real ones.
type SimulateConfig struct {
	Modems      int      `toml:"modems"`
	Profile     string   `toml:"profile"`
	SubmitDelay Duration `toml:"submit_delay"`
	// Dir holds the pty symlinks; default a temporary directory.
	Dir string `toml:"dir"`
}

func (s *SimulateConfig) applyDefaults() {
	if s.Profile == "" {
		s.Profile = "generic"
	}
}

// maxSimulated bounds the emulated modems, from the file or the flag.
const maxSimulated = 64

func (s SimulateConfig) validate(bad badFunc) {
	if s.Modems < 0 || s.Modems > maxSimulated {
		bad("simulate.modems", "%d: want 0..%d", s.Modems, maxSimulated)
	}
	nonNegative(bad, "simulate.submit_delay", s.SubmitDelay)
}
