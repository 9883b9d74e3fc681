package config

// LogConfig is the [log] table.
type LogConfig struct {
	Level string `toml:"level"` // debug, info, warn, error
	// Format is auto (journal under systemd, else text), text, json or
	// journal.
	Format string `toml:"format"`
	// ATTrace is how many raw AT lines each modem keeps for a bug report.
	ATTrace int `toml:"at_trace"`
	// Content lets message texts, numbers and PDUs into the log (for
	// debugging); off, they are replaced by "[content]".
	Content bool `toml:"content"`
}

// applyDefaults fills the table; atTraceSet says the file set at_trace (0
// turns the trace off, it is not "left out").
func (l *LogConfig) applyDefaults(atTraceSet bool) {
	if l.Level == "" {
		l.Level = "info"
	}
	if l.Format == "" {
		l.Format = "auto"
	}
	if !atTraceSet {
		l.ATTrace = 200
	}
}

func (l LogConfig) validate(bad badFunc) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: want debug, info, warn or error", l.Level)
	}
	switch l.Format {
	case "auto", "text", "json", "journal":
	default:
		bad("log.format", "%q: want auto, text, json or journal", l.Format)
	}
	if l.ATTrace < 0 || l.ATTrace > 100000 {
		bad("log.at_trace", "%d: want 0..100000", l.ATTrace)
	}
}
