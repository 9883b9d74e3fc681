package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/consent"
)

// smsgw consent export writes the ledger as CSV or JSON, and verify checks
// its chain through the daemon or from an export file, reporting the
// record a direct change in the database broke.
func TestConsentExportVerify(t *testing.T) {
	e := newCLIEnv(t)
	ctx := context.Background()
	for _, r := range []consent.Record{
		{Number: "+4915100000001", Action: consent.ActionOptIn, Source: consent.SourceAPI, Evidence: map[string]string{"ip": "192.0.2.1"}},
		{Number: "+4915100000002", Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 4, Modem: "office"},
		{Number: "+4915100000001", Action: consent.ActionOptOut, Source: consent.SourceSMS, InboxID: 5, Modem: "office"},
	} {
		if _, err := e.q.Apply(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := e.run("consent", "verify")
	if code != exitOK || !strings.HasPrefix(out, "ledger verified: 3 records, last hash ") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = e.run("consent", "export")
	if code != exitOK {
		t.Fatalf("export: exit %d %s", code, errs)
	}
	rs, err := consent.ReadCSV(strings.NewReader(out))
	if err != nil || len(rs) != 3 || rs[0].Evidence["ip"] != "192.0.2.1" {
		t.Fatalf("CSV export %+v, %v", rs, err)
	}
	export := filepath.Join(t.TempDir(), "consent.csv")
	if err := os.WriteFile(export, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = e.run("consent", "export", "--format", "json", "--number", "+4915100000001")
	var one []consent.Record
	if code != exitOK || json.Unmarshal([]byte(out), &one) != nil || len(one) != 2 {
		t.Fatalf("JSON export by number: exit %d %s", code, out)
	}
	if code, out, _ := e.run("consent", "verify", "--file", export); code != exitOK || !strings.Contains(out, "3 records") {
		t.Errorf("verify of the export: exit %d %s", code, out)
	}

	// Someone turns an opt-out into an opt-in with SQL, around the
	// append-only trigger.
	db, err := sql.Open("sqlite3", e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE consent_ledger SET action = 'opt_in' WHERE seq = 2`); err == nil {
		t.Fatal("the ledger accepted an UPDATE")
	}
	for _, q := range []string{`DROP TRIGGER consent_ledger_no_update`, `UPDATE consent_ledger SET action = 'opt_in' WHERE seq = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs = e.run("consent", "verify")
	if code != exitRefused || !strings.Contains(errs, "record 2") || !strings.Contains(errs, "changed") {
		t.Errorf("verify after the change: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := e.run("consent", "verify", "--file", export); code != exitOK {
		t.Errorf("the earlier export no longer verifies: %s", errs)
	}
	if code, _, _ := e.run("consent", "export", "--format", "xml"); code != exitUsage {
		t.Errorf("--format xml: exit %d", code)
	}
	if code, _, _ := e.run("consent", "export", "--since", "yesterday"); code != exitUsage {
		t.Errorf("--since yesterday: exit %d", code)
	}
}
