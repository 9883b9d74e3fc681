package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"smsgw/wire"
)

func init() {
	register(command{name: "contacts", summary: "import contacts from CSV, export them as CSV", run: runContacts})
}

var (
	contactsImportSynopsis = "smsgw contacts import FILE [--group NAME] [--json] [--timeout D]"
	contactsExportSynopsis = "smsgw contacts export [--group NAME] [--output FILE] [--timeout D]"
	contactsDoc            = usageDoc{name: "contacts", synopsis: []string{contactsImportSynopsis, contactsExportSynopsis},
		about: "Imports contacts from a CSV file into the daemon, or exports them.\nsmsgw help contacts import and smsgw help contacts export show their flags.", exits: clientExits}
	contactsImportDoc = usageDoc{synopsis: []string{contactsImportSynopsis}, about: `Imports a CSV file (a header row; number required, name optional, every
other column a field; "-" reads stdin). Duplicates merge into the stored
contacts; every bad row is printed with its line and reason, the good ones are
imported.`, exits: clientExits}
	contactsExportDoc = usageDoc{synopsis: []string{contactsExportSynopsis}, about: "Writes the contacts as CSV (number, name, then every field) to stdout or --output.", exits: clientExits}
)

func runContacts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, contactsDoc, "a subcommand is needed (import or export)")
	}
	switch args[0] {
	case "import":
		return runContactsImport(args[1:], stdout, stderr)
	case "export":
		return runContactsExport(args[1:], stdout, stderr)
	}
	if wantsHelp(args) {
		writeUsage(stdout, nil, contactsDoc)
		return exitOK
	}
	return usageError(stderr, nil, contactsDoc, "unknown subcommand %q (want import or export)", args[0])
}

// stream sends a request whose body or answer may be large: no overall
// client timeout (ctx bounds it); a non-2xx answer becomes an apiError.
func (c *client) stream(ctx context.Context, method, path, ct string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "smsgw-cli/"+version)
	resp, err := c.sse.Do(req)
	if err != nil {
		return nil, fmt.Errorf("smsgw at %s: %w", c.where, transportCause(err))
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var eb struct {
			Error *wire.Error `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			return nil, &apiError{Status: resp.StatusCode, Body: *eb.Error}
		}
		return nil, &apiError{Status: resp.StatusCode, Body: wire.Error{Message: strings.TrimSpace(string(b))}}
	}
	return resp, nil
}

// importResult is the answer of POST /v1/contacts/import.
type importResult struct {
	Rows    int    `json:"rows"`
	Created int    `json:"created"`
	Updated int    `json:"updated"`
	Bad     int    `json:"bad"`
	Group   string `json:"group,omitempty"`
	Errors  []struct {
		Line   int    `json:"line"`
		Number string `json:"number,omitempty"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func runContactsImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("contacts import")
	addr := addrFlag(fs)
	group := fs.String("group", "", "add every imported contact to the group `NAME` (created if missing)")
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (a `D`uration such as 30s or 10m)")
	pos, code, done := parseFlags(fs, contactsImportDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, fs, contactsImportDoc, "one CSV file is needed (- for stdin)")
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, contactsImportDoc, "%v", err)
	}
	var in io.Reader = os.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "smsgw contacts import: %v\n", err)
			return exitRefused
		}
		defer f.Close()
		in = f
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	path := "/v1/contacts/import"
	if *group != "" {
		path += "?group=" + url.QueryEscape(*group)
	}
	resp, err := c.stream(ctx, http.MethodPost, path, "text/csv", in)
	if err != nil {
		return fail(stderr, "contacts import", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fail(stderr, "contacts import", fmt.Errorf("reading the answer: %w", err))
	}
	var res importResult
	if err := json.Unmarshal(b, &res); err != nil {
		return fail(stderr, "contacts import", fmt.Errorf("decoding the answer: %w", err))
	}
	if *asJSON {
		printJSON(stdout, res)
		return exitOK
	}
	fmt.Fprintf(stdout, "%d rows: %d contacts created, %d updated, %d bad\n", res.Rows, res.Created, res.Updated, res.Bad)
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "line %d: %s\n", e.Line, e.Reason)
	}
	return exitOK
}

func runContactsExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("contacts export")
	addr := addrFlag(fs)
	group := fs.String("group", "", "only the members of the group `NAME` (or id)")
	output := fs.String("output", "", "write to `FILE` instead of stdout")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (a `D`uration such as 30s or 10m)")
	pos, code, done := parseFlags(fs, contactsExportDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, fs, contactsExportDoc, "unexpected argument %q", pos[0])
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, contactsExportDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	path := "/v1/contacts/export"
	if *group != "" {
		path += "?group=" + url.QueryEscape(*group)
	}
	resp, err := c.stream(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return fail(stderr, "contacts export", err)
	}
	defer resp.Body.Close()
	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			fmt.Fprintf(stderr, "smsgw contacts export: %v\n", err)
			return exitRefused
		}
		defer f.Close()
		out = f
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fail(stderr, "contacts export", err)
	}
	return exitOK
}
