package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"smsgw/campaign"
	"smsgw/config"
	"smsgw/consent"
	"smsgw/contacts"
	"smsgw/hooks"
	"smsgw/httpd"
	"smsgw/queue"
	"smsgw/rules"
	"smsgw/store/postgres"
	"smsgw/store/sqlite"
	"smsgw/web"
)

// Store is everything the daemon takes from its database and hands on:
// the queue to the gateway and the API, and each domain's store to its
// package. Both drivers (store/sqlite and store/postgres) implement it;
// nothing outside this package and cmd/smsgw names a driver.
type Store interface {
	queue.Storage
	queue.Conversations
	queue.Nodes
	httpd.QueueGauges
	hooks.Registry
	consent.Store
	rules.Store
	contacts.Store
	campaign.PriceStore
	campaign.SpendStore
	campaign.TariffStore
	campaign.SpendTotals
	campaign.BudgetEvents
	web.Messages
}

var _ Store = (*sqlite.Store)(nil)

// PostgresComplete reports whether this build's PostgreSQL driver
// implements everything a gateway needs (Store).
func PostgresComplete() bool {
	_, ok := any((*postgres.Store)(nil)).(Store)
	return ok
}

// OpenStore opens the database the [storage] table names, bringing its
// schema up to date, and refuses one written by a newer smsgw
// (queue.ErrSchemaTooNew).
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (Store, error) {
	switch cfg.Storage.Driver {
	case config.DriverSQLite, "":
		if dir := filepath.Dir(cfg.Storage.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("storage directory: %w (set [storage] path to a writable place, or try --simulate N for a demo)", err)
			}
		}
		st, err := sqlite.Open(cfg.Storage.Path, QueueOptions(cfg, log), SQLiteOptions(cfg.Storage))
		if err != nil {
			return nil, err
		}
		return st, nil
	case config.DriverPostgres:
		pg, err := postgres.Open(ctx, cfg.Storage.DSN.Reveal(), QueueOptions(cfg, log), postgres.Options{})
		if err != nil {
			return nil, err
		}
		st, ok := any(pg).(Store)
		if !ok {
			pg.Close(context.Background())
			return nil, fmt.Errorf("this build's PostgreSQL driver does not implement everything a gateway needs yet (%T lacks part of daemon.Store)", pg)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("storage driver %q is not known to this smsgw", cfg.Storage.Driver)
	}
}

// DatabaseName says which database the configuration names, for logs and
// the banner, without the DSN's password or options.
func DatabaseName(c config.StorageConfig) string {
	if c.Driver != config.DriverPostgres {
		return c.Path
	}
	return "postgres " + dsnLocation(c.DSN.Reveal())
}

// dsnLocation is the host, port and database of a DSN: what an operator
// needs to tell databases apart, and nothing that may be secret.
func dsnLocation(dsn string) string {
	host, port, db := "", "", ""
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(unreadable DSN)"
		}
		host, port = u.Hostname(), u.Port()
		db = strings.TrimPrefix(u.Path, "/")
		if h := u.Query().Get("host"); host == "" && h != "" {
			host = h
		}
		if d := u.Query().Get("dbname"); db == "" {
			db = d
		}
	} else {
		for _, f := range strings.Fields(dsn) {
			k, v, _ := strings.Cut(f, "=")
			v = strings.Trim(v, "'")
			switch k {
			case "host":
				host = v
			case "port":
				port = v
			case "dbname":
				db = v
			}
		}
	}
	if host == "" {
		host = "localhost"
	}
	if port != "" && !strings.HasPrefix(host, "/") {
		host += ":" + port
	}
	if db == "" {
		return host
	}
	return host + "/" + db
}

// Migration is what Migrate did: the schema version the database had and
// the one it has now (the newest this smsgw knows).
type Migration struct {
	Database string // as DatabaseName says it
	From, To int
}

// Migrate brings the configured database's schema up to date without
// starting a gateway (no attempt is recovered, nothing is sent), and
// refuses one written by a newer smsgw (queue.ErrSchemaTooNew).
func Migrate(ctx context.Context, cfg config.Config) (Migration, error) {
	m := Migration{Database: DatabaseName(cfg.Storage)}
	var err error
	switch cfg.Storage.Driver {
	case config.DriverSQLite, "":
		if dir := filepath.Dir(cfg.Storage.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return m, fmt.Errorf("storage directory: %w", err)
			}
		}
		m.From, m.To, err = sqlite.Migrate(ctx, cfg.Storage.Path)
	case config.DriverPostgres:
		m.From, m.To, err = postgres.Migrate(ctx, cfg.Storage.DSN.Reveal())
	default:
		err = fmt.Errorf("storage driver %q is not known to this smsgw", cfg.Storage.Driver)
	}
	return m, err
}
