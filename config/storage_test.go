package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestStorageDriver: the driver and its DSN are checked together, and no
// refusal quotes the DSN (it may hold a password).
func TestStorageDriver(t *testing.T) {
	c, err := Parse("")
	if err != nil || c.Storage.Driver != DriverSQLite || c.Storage.DSN != "" {
		t.Fatalf("default storage = %+v, %v; want the sqlite driver without a DSN", c.Storage, err)
	}
	for _, dsn := range []string{
		"postgres://smsgw:s3cret@db.example:5432/smsgw?sslmode=verify-full",
		"postgresql://smsgw@/smsgw?host=/run/postgresql",
		"host=db.example dbname=smsgw user=smsgw password='s3cret x'",
	} {
		c, err := Parse("[storage]\ndriver = \"postgres\"\ndsn = \"" + strings.ReplaceAll(dsn, `"`, `\"`) + "\"")
		if err != nil {
			t.Errorf("dsn %q refused: %v", dsn, err)
			continue
		}
		if c.Storage.Driver != DriverPostgres || c.Storage.DSN.Reveal() != dsn {
			t.Errorf("storage = %+v", c.Storage)
		}
	}
	tests := []struct{ name, toml, want string }{
		{"unknown driver", `driver = "mysql"`, `storage.driver: "mysql": want "sqlite" or "postgres"`},
		{"postgres without dsn", `driver = "postgres"`, "storage.dsn: empty"},
		{"dsn without postgres", `dsn = "postgres://u:s3cret@h/db"`, `storage.dsn: set, but driver is "sqlite"`},
		{"other scheme", "driver = \"postgres\"\ndsn = \"mysql://u:s3cret@h/db\"", "postgres:// or postgresql://"},
		{"bad url", "driver = \"postgres\"\ndsn = \"postgres://u:s3cret%zz@h/db\"", "percent-encoded"},
		{"not pairs", "driver = \"postgres\"\ndsn = \"s3cret\"", "keyword=value"},
		{"spaces", "driver = \"postgres\"\ndsn = \" host=h password=s3cret\"", "white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("[storage]\n" + tt.toml)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the refusal quotes the DSN's password: %v", err)
			}
		})
	}
}

// TestStorageDSNNeverPrints: fmt and the TOML encoder (config show, the
// dashboard's settings) see the DSN redacted.
func TestStorageDSNNeverPrints(t *testing.T) {
	c, err := Parse("[storage]\ndriver = \"postgres\"\ndsn = \"postgres://smsgw:s3cret@db/smsgw\"")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{b.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "db/smsgw") {
			t.Fatalf("the DSN shows: %s", s)
		}
	}
}
