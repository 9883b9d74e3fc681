package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"smsgw/consent"
)

func init() {
	register(command{name: "consent", summary: "export or verify the consent ledger: consent export|verify", run: runConsent})
}

var (
	consentExportSynopsis = "smsgw consent export [--number N] [--since T] [--until T] [--format csv|json]"
	consentVerifySynopsis = "smsgw consent verify [--file FILE]"
	consentDoc            = usageDoc{name: "consent", synopsis: []string{consentExportSynopsis, consentVerifySynopsis},
		about: "smsgw help consent export and smsgw help consent verify show what they do.", exits: clientExits}
	consentExportDoc = usageDoc{
		synopsis: []string{consentExportSynopsis},
		about: `Writes the consent ledger (opt-ins, opt-outs, HELP requests, with their
source, disclosure, evidence and hashes) to stdout, oldest first: all of it,
or one number's, or a period's (since inclusive, until exclusive).`,
		exits: clientExits,
	}
	consentVerifyDoc = usageDoc{
		synopsis: []string{consentVerifySynopsis},
		about: `Reads the whole ledger from the daemon (or a CSV export given with --file) and
checks its hash chain: a record changed, removed or inserted after it was
written is reported with its number, and the exit status is 1. On success it
prints the number of records and the last hash; keep that hash elsewhere and
a later verify also shows that no record was removed from the end.`,
		exits: clientExits,
	}
)

func runConsent(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, consentDoc, "a subcommand is needed (export or verify)")
	}
	switch args[0] {
	case "export":
		return runConsentExport(args[1:], stdout, stderr)
	case "verify":
		return runConsentVerify(args[1:], stdout, stderr)
	}
	if wantsHelp(args) {
		writeUsage(stdout, nil, consentDoc)
		return exitOK
	}
	return usageError(stderr, nil, consentDoc, "unknown subcommand %q (want export or verify)", args[0])
}

// ledgerPages reads the ledger from the daemon page by page.
func ledgerPages(ctx context.Context, c *client, q url.Values, each func([]consent.Record) error) error {
	q.Set("format", "json")
	q.Set("limit", "5000")
	for {
		var page struct {
			Records    []consent.Record `json:"records"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := c.do(ctx, "GET", "/v1/consent?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		if err := each(page.Records); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

func runConsentExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("consent export")
	addr := addrFlag(fs)
	number := fs.String("number", "", "only this number's records")
	since := fs.String("since", "", "records at or after this RFC 3339 time")
	until := fs.String("until", "", "records before this RFC 3339 time")
	format := fs.String("format", "csv", "csv or json (one array)")
	pos, code, done := parseFlags(fs, consentExportDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, consentExportDoc, "unexpected argument %q", pos[0])
	}
	if *format != "csv" && *format != "json" {
		return usageError(stderr, fs, consentExportDoc, "--format %q: want csv or json", *format)
	}
	q := url.Values{}
	for k, v := range map[string]string{"number": *number, "since": *since, "until": *until} {
		if v == "" {
			continue
		}
		if k != "number" {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				return usageError(stderr, fs, consentExportDoc, "--%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", k, v)
			}
		}
		q.Set(k, v)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, consentExportDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var all []consent.Record
	cw := csv.NewWriter(stdout)
	if *format == "csv" {
		cw.Write(consent.CSVHeader)
	}
	err = ledgerPages(ctx, c, q, func(rs []consent.Record) error {
		if *format == "json" {
			all = append(all, rs...)
			return nil
		}
		return consent.WriteCSV(cw, rs)
	})
	if err != nil {
		return fail(stderr, "consent export", err)
	}
	if *format == "json" {
		if all == nil {
			all = []consent.Record{}
		}
		printJSON(stdout, all)
	}
	cw.Flush()
	return exitOK
}

func runConsentVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("consent verify")
	addr := addrFlag(fs)
	file := fs.String("file", "", "verify this CSV export instead of asking the daemon")
	pos, code, done := parseFlags(fs, consentVerifyDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, fs, consentVerifyDoc, "unexpected argument %q", pos[0])
	}
	var v consent.Verifier
	check := func(rs []consent.Record) error {
		for _, r := range rs {
			if err := v.Add(r); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	if *file != "" {
		err = verifyFile(*file, check)
	} else {
		var c *client
		if c, err = newClient(*addr); err != nil {
			return usageError(stderr, fs, consentVerifyDoc, "%v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		err = ledgerPages(ctx, c, url.Values{}, check)
	}
	var be *consent.BreakError
	if errors.As(err, &be) {
		fmt.Fprintf(stderr, "consent verify: %v (%d records before it verified)\n", be, v.Count)
		return exitRefused
	}
	if err != nil {
		return fail(stderr, "consent verify", err)
	}
	fmt.Fprintf(stdout, "ledger verified: %d records, last hash %s\n", v.Count, v.Head())
	return exitOK
}

func verifyFile(path string, check func([]consent.Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rs, err := consent.ReadCSV(f)
	if err != nil {
		return err
	}
	return check(rs)
}
