package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"smsgw/config"
	"smsgw/internal/daemon"
	"smsgw/queue"
)

func init() {
	register(command{name: "migrate", summary: "bring the database's schema up to date and print its version", run: runMigrate})
}

var migrateDoc = usageDoc{
	synopsis: []string{"smsgw migrate [--config FILE]"},
	about: `Applies the schema migrations this smsgw carries to the database of the
configuration ([storage] driver, path or dsn) and prints the schema version,
without starting a gateway: run it once after an upgrade, before the upgraded
gateways start (they also migrate when they start; one that finds a schema
newer than it knows refuses to run). Several gateways or migrate runs at once
apply each step once.`,
	exits: []int{exitOK, exitRefused, exitUsage},
}

// migrateTimeout bounds the whole migration, connecting included.
const migrateTimeout = 5 * time.Minute

func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("migrate")
	cfgPath := fs.String("config", "", "configuration `FILE` (default "+config.DefaultConfigPath+" when it exists)")
	pos, code, done := parseFlags(fs, migrateDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, migrateDoc, "unexpected argument %q", pos[0])
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "smsgw migrate:", err)
		fmt.Fprintln(stderr, "smsgw migrate: smsgw config check FILE lists every problem")
		return exitRefused
	}
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	m, err := daemon.Migrate(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "smsgw migrate: %s: %v\n", m.Database, err)
		if errors.Is(err, queue.ErrSchemaTooNew) {
			fmt.Fprintln(stderr, "smsgw migrate: the database was left as it is")
		}
		return exitRefused
	}
	if m.From == m.To {
		fmt.Fprintf(stdout, "%s: schema version %d, up to date\n", m.Database, m.To)
	} else {
		fmt.Fprintf(stdout, "%s: schema version %d (was %d)\n", m.Database, m.To, m.From)
	}
	return exitOK
}
