package config

import (
	"os"
	"path/filepath"
	"strings"
)

// StorageConfig is the [storage] table.
type StorageConfig struct {
	// Path of the SQLite database.
	Path string `toml:"path"`
	// Sync is "full" (every acknowledged write survives a power cut, the
	// default) or "normal" (survives a crash of the process; faster on
	// slow SD cards).
	Sync string `toml:"sync"`
	// RetentionDays, when above 0, deletes finished messages, inbox
	// messages and delivered events older than that many days, daily.
	RetentionDays int `toml:"retention_days"`
}

func (s *StorageConfig) applyDefaults() {
	if s.Path == "" {
		dir := "/var/lib/smsgw"
		// systemd's StateDirectory= exports the directory it created.
		if d := os.Getenv("STATE_DIRECTORY"); d != "" {
			dir = strings.Split(d, ":")[0]
		}
		s.Path = filepath.Join(dir, "smsgw.db")
	}
	if s.Sync == "" {
		s.Sync = "full"
	}
}

func (s StorageConfig) validate(bad badFunc) {
	if s.Path == "" {
		bad("storage.path", "empty")
	}
	if s.Sync != "full" && s.Sync != "normal" {
		bad("storage.sync", "%q: want \"full\" or \"normal\"", s.Sync)
	}
	if s.RetentionDays < 0 {
		bad("storage.retention_days", "%d: must not be negative (0 keeps everything)", s.RetentionDays)
	}
}
