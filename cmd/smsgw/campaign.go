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

	"smsgw/campaign"
)

func init() {
	register(command{name: "campaign", summary: "create, quote, launch, pause, resume, follow and export campaigns", run: runCampaign})
}

var (
	campaignCreateSynopsis = "smsgw campaign create --name NAME --template TEXT [--group G,...] [--contact C,...] [--to N,...] [--csv FILE] [--file FILE] [options]"
	campaignQuoteSynopsis  = "smsgw campaign quote ID [--json]"
	campaignLaunchSynopsis = "smsgw campaign launch|pause|resume ID [--json]"
	campaignStatusSynopsis = "smsgw campaign status ID [--json]"
	campaignExportSynopsis = "smsgw campaign export ID [--output FILE] [--timeout D]"
	campaignDoc            = usageDoc{name: "campaign", synopsis: []string{campaignCreateSynopsis, campaignQuoteSynopsis, campaignLaunchSynopsis, campaignStatusSynopsis, campaignExportSynopsis},
		about: "Bulk campaigns: a personalised template sent to groups, contacts, numbers or a CSV.\nsmsgw help campaign SUBCOMMAND shows its flags.", exits: clientExits}
	campaignCreateDoc = usageDoc{synopsis: []string{campaignCreateSynopsis}, about: `Creates a campaign as a draft and prints its id. The template takes
{{name}}, {{number}} and {{fields.KEY}}, with a default after a bar
({{name|there}}); a recipient missing a value is skipped, never sent a broken
text. --file reads the whole body as JSON (as POST /v1/campaigns takes it);
the other flags then change it.`, exits: clientExits}
	campaignQuoteDoc  = usageDoc{synopsis: []string{campaignQuoteSynopsis}, about: "Prints what the campaign would send and cost now, and who would be skipped and why. Sends nothing.", exits: clientExits}
	campaignActionDoc = map[string]usageDoc{
		"launch": {synopsis: []string{"smsgw campaign launch ID [--json]"}, about: "Launches a draft: its audience is expanded and queued by the daemon in the background.", exits: clientExits},
		"pause":  {synopsis: []string{"smsgw campaign pause ID [--json]"}, about: "Stops feeding the campaign and holds its queued messages.", exits: clientExits},
		"resume": {synopsis: []string{"smsgw campaign resume ID [--json]"}, about: "Goes on with a paused campaign.", exits: clientExits},
	}
	campaignStatusDoc = usageDoc{synopsis: []string{campaignStatusSynopsis}, about: "Prints the campaign's state, its recipients by state and its cost, actual against quoted.", exits: clientExits}
	campaignExportDoc = usageDoc{synopsis: []string{campaignExportSynopsis}, about: "Writes every recipient's outcome as CSV to stdout or --output.", exits: clientExits}
)

func runCampaign(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, campaignDoc, "a subcommand is needed (create, quote, launch, pause, resume, status or export)")
	}
	switch args[0] {
	case "create":
		return runCampaignCreate(args[1:], stdout, stderr)
	case "quote":
		return runCampaignQuote(args[1:], stdout, stderr)
	case "launch", "pause", "resume":
		return runCampaignAction(args[0], args[1:], stdout, stderr)
	case "status":
		return runCampaignStatus(args[1:], stdout, stderr)
	case "export":
		return runCampaignExport(args[1:], stdout, stderr)
	}
	if wantsHelp(args) {
		writeUsage(stdout, nil, campaignDoc)
		return exitOK
	}
	return usageError(stderr, nil, campaignDoc, "unknown subcommand %q (want create, quote, launch, pause, resume, status or export)", args[0])
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runCampaignCreate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("campaign create")
	addr := addrFlag(fs)
	file := fs.String("file", "", "read the campaign body as JSON from `FILE` (- for stdin)")
	name := fs.String("name", "", "the campaign's `NAME`")
	tpl := fs.String("template", "", "the message `TEXT`, with placeholders")
	groups := fs.String("group", "", "send to these groups (`G,...`: ids or names)")
	cts := fs.String("contact", "", "send to these contacts (`C,...`: ids or names)")
	to := fs.String("to", "", "send to these numbers (`N,...`)")
	csvFile := fs.String("csv", "", "send to the rows of the CSV `FILE` (number, name, other columns as fields)")
	category := fs.String("category", "", "`CATEGORY`: marketing (the default) or transactional")
	sendAt := fs.String("send-at", "", "start at `TIME` (RFC 3339)")
	window := fs.String("window", "", "send only between `FROM-TO` (such as 09:00-20:00) in each recipient's time zone")
	rate := fs.Int("rate", 0, "queue at most `N` messages a minute (0: no cap)")
	repeat := fs.String("repeat", "", "repeat by the `RULE` (daily HH:MM, weekdays HH:MM, weekly mon,thu HH:MM, monthly N HH:MM)")
	modem := fs.String("modem", "", "send through the modem `ID` only")
	tags := fs.String("tags", "", "send through modems carrying one of the `TAGS` (comma-separated)")
	report := fs.Bool("report", false, "ask for delivery reports")
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	pos, code, done := parseFlags(fs, campaignCreateDoc, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return usageError(stderr, fs, campaignCreateDoc, "unexpected argument %q", pos[0])
	}
	body := map[string]any{}
	if *file != "" {
		var b []byte
		var err error
		if *file == "-" {
			b, err = io.ReadAll(io.LimitReader(os.Stdin, campaign.MaxCSVBytes+1<<20))
		} else {
			b, err = os.ReadFile(*file)
		}
		if err != nil {
			fmt.Fprintf(stderr, "smsgw campaign create: %v\n", err)
			return exitRefused
		}
		if err := json.Unmarshal(b, &body); err != nil {
			return usageError(stderr, fs, campaignCreateDoc, "--file %s: not a JSON object: %v", *file, err)
		}
	}
	audience, _ := body["audience"].(map[string]any)
	if audience == nil {
		audience = map[string]any{}
	}
	set := func(k string, v any, on bool) {
		if on {
			body[k] = v
		}
	}
	set("name", *name, *name != "")
	set("template", *tpl, *tpl != "")
	set("category", *category, *category != "")
	set("send_at", *sendAt, *sendAt != "")
	set("rate", *rate, *rate != 0)
	set("repeat", *repeat, *repeat != "")
	set("modem", *modem, *modem != "")
	set("tags", splitList(*tags), *tags != "")
	set("delivery_report", true, *report)
	if *window != "" {
		from, until, ok := strings.Cut(*window, "-")
		if !ok {
			return usageError(stderr, fs, campaignCreateDoc, "--window %q: want FROM-TO such as 09:00-20:00", *window)
		}
		body["window"] = map[string]string{"from": strings.TrimSpace(from), "to": strings.TrimSpace(until)}
	}
	if *groups != "" {
		audience["groups"] = splitList(*groups)
	}
	if *cts != "" {
		audience["contacts"] = splitList(*cts)
	}
	if *to != "" {
		audience["numbers"] = splitList(*to)
	}
	if *csvFile != "" {
		b, err := os.ReadFile(*csvFile)
		if err != nil {
			fmt.Fprintf(stderr, "smsgw campaign create: %v\n", err)
			return exitRefused
		}
		audience["csv"] = string(b)
	}
	body["audience"] = audience
	if body["name"] == nil {
		return usageError(stderr, fs, campaignCreateDoc, "--name is required")
	}
	if body["template"] == nil {
		return usageError(stderr, fs, campaignCreateDoc, "--template is required")
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, campaignCreateDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out campaign.Campaign
	if err := c.do(ctx, http.MethodPost, "/v1/campaigns", body, &out); err != nil {
		return fail(stderr, "campaign create", err)
	}
	if *asJSON {
		printJSON(stdout, out)
		return exitOK
	}
	fmt.Fprintf(stdout, "campaign %s created (%s): %s\n", out.ID, out.State, out.Name)
	return exitOK
}

// campaignArg is the single ID argument of a campaign subcommand, or a
// sentence saying what is wrong.
func campaignArg(_ any, pos []string) (string, string) {
	if len(pos) != 1 {
		return "", fmt.Sprintf("one campaign ID is needed, not %d", len(pos))
	}
	return pos[0], ""
}

func runCampaignQuote(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("campaign quote")
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	pos, code, done := parseFlags(fs, campaignQuoteDoc, args, stdout, stderr)
	if done {
		return code
	}
	id, msg := campaignArg(fs, pos)
	if msg != "" {
		return usageError(stderr, fs, campaignQuoteDoc, "%s", msg)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, campaignQuoteDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var q campaign.Quote
	if err := c.do(ctx, http.MethodPost, "/v1/campaigns/"+url.PathEscape(id)+"/quote", nil, &q); err != nil {
		return fail(stderr, "campaign quote", err)
	}
	if *asJSON {
		printJSON(stdout, q)
		return exitOK
	}
	fmt.Fprintf(stdout, "%d recipients, %d parts, %s %s", q.Recipients, q.Parts, q.Total, q.Currency)
	if q.Unpriced > 0 {
		fmt.Fprintf(stdout, " (%d without a price)", q.Unpriced)
	}
	fmt.Fprintf(stdout, ", %d skipped\n", len(q.Skipped))
	for _, cc := range q.ByCountry {
		fmt.Fprintf(stdout, "  %-3s +%-4s %6d recipients %7d parts %10s\n", cc.Country, cc.Prefix, cc.Recipients, cc.Parts, cc.Cost)
	}
	for _, s := range q.Skipped {
		fmt.Fprintf(stdout, "skipped %s: %s\n", s.To, s.Reason)
	}
	return exitOK
}

func runCampaignAction(action string, args []string, stdout, stderr io.Writer) int {
	doc := campaignActionDoc[action]
	fs := newFlagSet("campaign " + action)
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	pos, code, done := parseFlags(fs, doc, args, stdout, stderr)
	if done {
		return code
	}
	id, msg := campaignArg(fs, pos)
	if msg != "" {
		return usageError(stderr, fs, doc, "%s", msg)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, doc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out campaign.Campaign
	if err := c.do(ctx, http.MethodPost, "/v1/campaigns/"+url.PathEscape(id)+"/"+action, nil, &out); err != nil {
		return fail(stderr, "campaign "+action, err)
	}
	if *asJSON {
		printJSON(stdout, out)
		return exitOK
	}
	fmt.Fprintf(stdout, "campaign %s: %s\n", out.ID, out.State)
	return exitOK
}

func runCampaignStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("campaign status")
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	pos, code, done := parseFlags(fs, campaignStatusDoc, args, stdout, stderr)
	if done {
		return code
	}
	id, msg := campaignArg(fs, pos)
	if msg != "" {
		return usageError(stderr, fs, campaignStatusDoc, "%s", msg)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, campaignStatusDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out campaign.Campaign
	if err := c.do(ctx, http.MethodGet, "/v1/campaigns/"+url.PathEscape(id), nil, &out); err != nil {
		return fail(stderr, "campaign status", err)
	}
	if *asJSON {
		printJSON(stdout, out)
		return exitOK
	}
	fmt.Fprintf(stdout, "campaign %s %q: %s", out.ID, out.Name, out.State)
	if out.Reason != "" {
		fmt.Fprintf(stdout, " (%s)", out.Reason)
	}
	fmt.Fprintln(stdout)
	k := out.Counts
	fmt.Fprintf(stdout, "recipients %d: pending %d, queued %d, sending %d, sent %d, delivered %d, failed %d, expired %d, uncertain %d\n",
		k.Recipients, k.Pending, k.Queued, k.Sending, k.Sent, k.Delivered, k.Failed, k.Expired, k.Uncertain)
	fmt.Fprintf(stdout, "suppressed %d, skipped %d, cancelled %d, opted out since launch %d, replies %d\n",
		k.Suppressed, k.Skipped, k.Cancelled, k.OptedOut, k.Replies)
	fmt.Fprintf(stdout, "cost: %s %s actual, %s quoted (%d of %d parts sent)\n", out.Cost.Actual, out.Cost.Currency, out.Cost.Quoted,
		out.Cost.SentParts, out.Cost.QuotedParts)
	return exitOK
}

func runCampaignExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("campaign export")
	addr := addrFlag(fs)
	output := fs.String("output", "", "write to `FILE` instead of stdout")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (a `D`uration such as 30s or 10m)")
	pos, code, done := parseFlags(fs, campaignExportDoc, args, stdout, stderr)
	if done {
		return code
	}
	id, msg := campaignArg(fs, pos)
	if msg != "" {
		return usageError(stderr, fs, campaignExportDoc, "%s", msg)
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, campaignExportDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	resp, err := c.stream(ctx, http.MethodGet, "/v1/campaigns/"+url.PathEscape(id)+"/recipients?format=csv", "", nil)
	if err != nil {
		return fail(stderr, "campaign export", err)
	}
	defer resp.Body.Close()
	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			fmt.Fprintf(stderr, "smsgw campaign export: %v\n", err)
			return exitRefused
		}
		defer f.Close()
		out = f
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fail(stderr, "campaign export", err)
	}
	return exitOK
}
