package config

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Storage drivers ([storage] driver).
const (
	// DriverSQLite is the embedded database in one file: the default, for
	// a gateway on its own.
	DriverSQLite = "sqlite"
	// DriverPostgres is a PostgreSQL server shared by a fleet of gateways.
	DriverPostgres = "postgres"
)

// StorageConfig is the [storage] table.
type StorageConfig struct {
	// Driver is "sqlite" (the default: the embedded database at Path) or
	// "postgres" (a PostgreSQL server at DSN, which several gateways may
	// share).
	Driver string `toml:"driver"`
	// DSN locates the PostgreSQL database, as a URL
	// (postgres://user:password@host:5432/db?sslmode=...) or as
	// keyword=value pairs. It may hold a password: it never prints.
	DSN Secret `toml:"dsn"`
	// Path of the SQLite database. With PostgreSQL, its directory still
	// holds the gateway's local files (AT trace dumps, the one-time
	// import of webhooks.json).
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
	if s.Driver == "" {
		s.Driver = DriverSQLite
	}
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
	switch s.Driver {
	case DriverSQLite:
		if s.DSN != "" {
			bad("storage.dsn", "set, but driver is %q: set driver = %q to use PostgreSQL, or remove dsn", s.Driver, DriverPostgres)
		}
	case DriverPostgres:
		if s.DSN == "" {
			bad("storage.dsn", "empty: driver %q needs the database's address, e.g. \"postgres://smsgw:PASSWORD@db.example:5432/smsgw\"", DriverPostgres)
		} else if reason := checkDSN(s.DSN.Reveal()); reason != "" {
			// The DSN may hold a password: the reason never quotes it.
			bad("storage.dsn", "%s", reason)
		}
	default:
		bad("storage.driver", "%q: want %q or %q", s.Driver, DriverSQLite, DriverPostgres)
	}
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

// checkDSN says what is wrong with a PostgreSQL DSN without quoting it
// (empty when nothing is). It reads the two forms libpq and pgx accept: a
// postgres:// or postgresql:// URL, or keyword=value pairs.
func checkDSN(dsn string) string {
	if strings.TrimSpace(dsn) != dsn {
		return "leading or trailing white space"
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		if scheme != "postgres" && scheme != "postgresql" {
			return "a URL must start with postgres:// or postgresql://"
		}
		u, err := url.Parse(dsn)
		if err != nil {
			// url's errors quote the whole URL, password included.
			return "not a valid URL (a password with special characters must be percent-encoded)"
		}
		if u.Opaque != "" {
			return "a URL must start with postgres:// or postgresql://"
		}
		return ""
	}
	// Values may be quoted and hold spaces: only the first pair is read
	// here, the driver reads the rest when it connects.
	if k, _, ok := strings.Cut(dsn, "="); !ok || k == "" || strings.ContainsAny(k, " \t") {
		return "want a postgres:// URL or keyword=value pairs (host=... dbname=... user=...)"
	}
	return ""
}
