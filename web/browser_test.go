package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"smsgw/config"
	"smsgw/internal/daemon"
)

const (
	browserFull = "dash-full-token-0123456789"
	browserRead = "dash-read-token-0123456789"
)

// chromium finds Debian's chromium. Without it the browser tests skip on a
// developer's machine and fail in CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); CI must run the browser tests")
	}
	t.Skip("chromium is not installed; the browser tests need it (apt-get install chromium)")
	return ""
}

// screenshotDir is where the screenshots go: $ARTIFACTS_DIR/screenshots,
// or artifacts/screenshots beside the package.
func screenshotDir(t *testing.T) string {
	dir := filepath.Join("artifacts", "screenshots")
	if a := os.Getenv("ARTIFACTS_DIR"); a != "" {
		dir = filepath.Join(a, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDaemon runs the whole daemon in this process: two emulated modems
// on real ptys, the SQLite queue, the API and the dashboard on one
// loopback listener, with a full and a read-only token.
func startDaemon(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.Tokens = []config.Token{{Value: browserFull, Scope: config.ScopeAll}, {Value: browserRead, Scope: config.ScopeRead}}
	cfg.Storage.Path = filepath.Join(t.TempDir(), "smsgw.db")
	cfg.Simulate.Dir = t.TempDir()
	if err := cfg.SetSimulate(2); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, daemon.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d.Close(ctx)
		t.Logf("daemon stop: %v", time.Since(start))
	})
	return "http://" + d.Addr()
}

// browser starts headless chromium and returns a context for a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // root in CI containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	// Every script error and console error (a CSP refusal among them)
	// fails the test: the pages must run clean.
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			t.Errorf("script error: %s", ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				t.Errorf("console error on the page: %v", ev.Args)
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError && !expectedLogError(ev.Entry.Text, ev.Entry.URL) {
				t.Errorf("browser error: %s (%s)", ev.Entry.Text, ev.Entry.URL)
			}
		}
	})
	start := time.Now()
	if err := chromedp.Run(ctx, cdplog.Enable()); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium start: %v", time.Since(start))
	return ctx
}

// expectedLogError: the refusals the scenario provokes on purpose (a
// forbidden call, a bad budget) show in the browser's log as failed loads.
func expectedLogError(text, url string) bool {
	return strings.Contains(text, "status of 403") || strings.Contains(text, "status of 400") && strings.Contains(url, "/v1/tariffs/") ||
		strings.Contains(text, "status of 409") && strings.Contains(url, "/v1/campaigns/")
}

// run runs one step, bounded on its own so that a step that hangs still
// leaves time to show the page it hung on.
func run(t *testing.T, ctx context.Context, what string, acts ...chromedp.Action) {
	t.Helper()
	defer func(start time.Time) { t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond)) }(time.Now())
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(sctx, acts...); err != nil {
		var html string
		chromedp.Run(ctx, chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		t.Fatalf("%s: %v\npage: %.2000s", what, err, html)
	}
}

// setValue sets a form control's value as typing would, so the page's
// input handlers run (emoji included, which key events cannot type).
func setValue(sel, v string) chromedp.Action {
	b, _ := json.Marshal(v)
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel, b), nil)
}

func signInAs(base, token string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SendKeys("#token", token, chromedp.ByQuery),
		chromedp.Submit("#token", chromedp.ByQuery),
		chromedp.WaitVisible(`#modems article[data-modem="sim2"]`, chromedp.ByQuery),
	}
}

// fetchStatus runs fetch in the page and returns the answer's status.
func fetchStatus(ctx context.Context, t *testing.T, method, path, body string, csrf bool) int {
	t.Helper()
	js := fmt.Sprintf(`(async () => {
		const h = {'Content-Type': 'application/json'};
		if (%t) h['X-CSRF-Token'] = document.querySelector('meta[name="smsgw-csrf"]').content;
		const r = await fetch(%q, {method: %q, headers: h, body: %s, credentials: 'same-origin'});
		return r.status;
	})()`, csrf, path, method, body)
	var st int
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &st, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
		t.Fatalf("fetch %s %s: %v", method, path, err)
	}
	return st
}

// apiGet reads the API with the full token (the test's own view).
func apiGet(t *testing.T, base, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+browserFull)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestDashboardInABrowser is the dashboard's scenario in headless chromium
// against the real daemon with two emulated modems.
func TestDashboardInABrowser(t *testing.T) {
	// The daemon first, so that it stops after the browser has gone (a
	// page left open keeps reconnecting its event stream).
	base := startDaemon(t)
	ctx := browser(t)
	shots := screenshotDir(t)

	// Sign in; both modems on the overview.
	run(t, ctx, "sign in", signInAs(base, browserFull))
	var overview string
	run(t, ctx, "overview", chromedp.Text("#modems", &overview, chromedp.ByQuery))
	if !strings.Contains(overview, "sim1") || !strings.Contains(overview, "sim2") || !strings.Contains(overview, "ready") {
		t.Fatalf("overview shows %q; want both modems ready", overview)
	}

	firstLoad(t, ctx, base)

	// The counter counts as the codec: 200 GSM characters take 2 parts,
	// an emoji turns the text to UCS-2.
	var parts, coding string
	run(t, ctx, "send form: GSM text",
		chromedp.Navigate(base+"/ui/send"),
		chromedp.WaitVisible("#s-text", chromedp.ByQuery),
		setValue("#s-text", strings.Repeat("a", 200)),
		chromedp.WaitVisible(`#s-parts[data-parts="2"][data-coding="gsm7"]`, chromedp.ByQuery),
		chromedp.Text("#s-coding", &coding, chromedp.ByQuery))
	if coding != "GSM 7-bit" {
		t.Fatalf("200 GSM characters: coding %q", coding)
	}
	run(t, ctx, "send form: emoji text",
		setValue("#s-text", strings.Repeat("😀", 40)),
		chromedp.WaitVisible(`#s-parts[data-parts="2"][data-coding="ucs2"]`, chromedp.ByQuery),
		chromedp.Text("#s-coding", &coding, chromedp.ByQuery),
		setValue("#s-text", "Hello from the dashboard 👋"),
		chromedp.WaitVisible(`#s-parts[data-parts="1"][data-coding="ucs2"]`, chromedp.ByQuery),
		chromedp.Text("#s-parts", &parts, chromedp.ByQuery))
	if !strings.HasPrefix(coding, "UCS-2") || parts != "1 part" {
		t.Fatalf("emoji text: coding %q, parts %q", coding, parts)
	}

	// With a price table set, what the send costs shows on the overview.
	if st := fetchStatus(ctx, t, "PUT", "/v1/prices", `JSON.stringify({prices: [{prefix: "", price_per_part: "0.05", currency: "EUR"}]})`, true); st != 200 {
		t.Fatalf("PUT /v1/prices: %d", st)
	}

	// Send from sim1 to sim2's number and watch it reach delivered.
	run(t, ctx, "send and watch",
		setValue("#s-to", "+15550100002"),
		chromedp.WaitReady(`#s-modem option[value="sim1"]`, chromedp.ByQuery),
		chromedp.SetValue("#s-modem", "sim1", chromedp.ByQuery),
		chromedp.Click("#s-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#result [data-state="delivered"]`, chromedp.ByQuery))
	var png []byte
	run(t, ctx, "screenshot send-result", chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(shots, "send-result-desktop.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	var today, month string
	run(t, ctx, "overview spend",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#spend-today[data-currency="EUR"]`, chromedp.ByQuery),
		chromedp.Text("#spend-today", &today, chromedp.ByQuery),
		chromedp.Text("#spend-month", &month, chromedp.ByQuery))
	if today != "0.05 EUR" || month != "0.05 EUR" {
		t.Fatalf("spend on the overview: today %q, this month %q; want 0.05 EUR for the one part sent", today, month)
	}

	// The message came in on sim2: the inbox shows its thread unread, and
	// the thread shows the text.
	var thread string
	run(t, ctx, "inbox",
		chromedp.Navigate(base+"/ui/inbox"),
		chromedp.WaitVisible(`#threads a.unread[data-number="+15550100001"]`, chromedp.ByQuery),
		chromedp.Click(`#threads a[data-number="+15550100001"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#thread .bubble.in`, chromedp.ByQuery),
		chromedp.Text("#thread", &thread, chromedp.ByQuery))
	if !strings.Contains(thread, "Hello from the dashboard 👋") {
		t.Fatalf("thread shows %q", thread)
	}
	// A reply from the thread goes out and shows in it.
	run(t, ctx, "reply",
		setValue("#r-text", "Got it, thanks"),
		chromedp.Click("#r-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#thread .bubble.out [data-state]`, chromedp.ByQuery),
		chromedp.Text("#thread", &thread, chromedp.ByQuery))
	if !strings.Contains(thread, "Got it, thanks") {
		t.Fatalf("thread after the reply shows %q", thread)
	}

	// A scheduled message is cancelled from its page.
	var id string
	when := time.Now().Add(2 * time.Hour).Format("2006-01-02T15:04")
	run(t, ctx, "schedule",
		chromedp.Navigate(base+"/ui/send"),
		chromedp.WaitVisible("#s-text", chromedp.ByQuery),
		setValue("#s-to", "+15550100002"),
		setValue("#s-text", "later"),
		setValue("#s-when", when),
		chromedp.Click("#s-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#result [data-state="queued"]`, chromedp.ByQuery),
		chromedp.Text(`#result tbody tr td a`, &id, chromedp.ByQuery))
	run(t, ctx, "cancel",
		chromedp.Navigate(base+"/ui/messages/"+id),
		chromedp.WaitVisible("#cancel", chromedp.ByQuery),
		chromedp.Click("#cancel", chromedp.ByQuery),
		chromedp.WaitVisible(`main [data-state="cancelled"]`, chromedp.ByQuery))
	var m struct {
		State  string  `json:"state"`
		SendAt *string `json:"send_at"`
	}
	apiGet(t, base, "/v1/messages/"+id, &m)
	if m.State != "cancelled" || m.SendAt == nil {
		t.Fatalf("message %s: %+v, want a scheduled message cancelled", id, m)
	}

	// A number put on the opt-out list shows there and comes off again.
	var optouts string
	run(t, ctx, "opt-out",
		chromedp.Navigate(base+"/ui/optouts"),
		chromedp.WaitVisible("#o-number", chromedp.ByQuery),
		setValue("#o-number", "+15550100009"),
		setValue("#o-note", "asked by phone"),
		chromedp.Click("#o-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`[data-remove="+15550100009"]`, chromedp.ByQuery),
		chromedp.Text("#optouts", &optouts, chromedp.ByQuery))
	if !strings.Contains(optouts, "+15550100009") {
		t.Fatalf("opt-out list shows %q", optouts)
	}
	run(t, ctx, "opt-out removed",
		chromedp.Click(`[data-remove="+15550100009"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-remove="+15550100009"]`, chromedp.ByQuery))

	// A keyword rule added on the Rules page fires on a test message.
	var fired string
	run(t, ctx, "rule",
		chromedp.Navigate(base+"/ui/rules"),
		chromedp.WaitVisible("#k-name", chromedp.ByQuery),
		setValue("#k-name", "hours"),
		setValue("#k-value", "HOURS"),
		setValue("#k-text", "Open 9 to 5"),
		chromedp.Click("#k-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#rules [data-delete]`, chromedp.ByQuery),
		setValue("#t-text", "hours?"),
		chromedp.Click("#t-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#t-result [data-fired]`, chromedp.ByQuery),
		chromedp.Text("#t-result", &fired, chromedp.ByQuery))
	if !strings.Contains(fired, "hours") || !strings.Contains(fired, "Open 9 to 5") {
		t.Fatalf("the rule test shows %q", fired)
	}

	// A CSV imported on the Contacts page: the good rows are listed, the
	// bad one is shown with its line and reason.
	csvPath := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csvPath, []byte("number,name\n+15550100007,Ada\nnot a number,Bob\n+15550100008,Cy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var summary, refused, listed string
	run(t, ctx, "contacts import",
		chromedp.Navigate(base+"/ui/contacts"),
		chromedp.WaitReady(`body[data-ready]`, chromedp.ByQuery),
		chromedp.SetUploadFiles("#i-file", []string{csvPath}, chromedp.ByQuery),
		setValue("#i-group", "club"),
		chromedp.Click("#i-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#i-summary[data-bad="1"]`, chromedp.ByQuery),
		chromedp.Text("#i-summary", &summary, chromedp.ByQuery),
		chromedp.Text("#i-result table", &refused, chromedp.ByQuery),
		chromedp.WaitVisible(`#groups [data-group="club"]`, chromedp.ByQuery),
		setValue("#c-name", "cy"),
		chromedp.Poll(`document.querySelectorAll('#contacts tbody tr').length === 1`, nil),
		chromedp.Text("#contacts", &listed, chromedp.ByQuery),
		chromedp.WaitNotVisible("#c-more", chromedp.ByQuery))
	if !strings.Contains(summary, "3 rows: 2 created") || !strings.Contains(refused, "not a number") || !strings.Contains(refused, "3") {
		t.Fatalf("import shows %q, refused rows %q", summary, refused)
	}
	if !strings.Contains(listed, "+15550100008") || strings.Contains(listed, "+15550100007") {
		t.Fatalf("search for cy lists %q", listed)
	}

	// The Spend page: sim1's day budget of 0 holds it (a cap reached is
	// shown with its reason); a bad cap entered is refused with the API's
	// code; a raised one lets it send again, and the page says so.
	if st := fetchStatus(ctx, t, "PUT", "/v1/tariffs/sim1", `JSON.stringify({budget_day: '0', prices: [{prefix: '', price_per_part: '0.10', currency: 'EUR'}]})`, true); st != http.StatusOK {
		t.Fatalf("set sim1's tariff: %d", st)
	}
	var reason, refusedCap string
	run(t, ctx, "budget paused",
		chromedp.Navigate(base+"/ui/spend"),
		chromedp.WaitVisible(`#budgets [data-paused="day"]`, chromedp.ByQuery),
		chromedp.Text(`#budgets [data-reason="sim1"]`, &reason, chromedp.ByQuery),
		chromedp.SetValue("#b-modem", "sim1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#b-modem').dispatchEvent(new Event('change'))`, nil),
		setValue("#b-day", "-1"),
		chromedp.Click("#b-submit", chromedp.ByQuery),
		chromedp.WaitVisible(`#b-result .alert`, chromedp.ByQuery),
		chromedp.Text("#b-result", &refusedCap, chromedp.ByQuery))
	if !strings.Contains(reason, "day budget of 0.00 EUR") || !strings.Contains(refusedCap, "not an amount") {
		t.Fatalf("spend page: reason %q, refused cap %q", reason, refusedCap)
	}
	run(t, ctx, "budget raised",
		setValue("#b-day", "5.00"),
		chromedp.Click("#b-submit", chromedp.ByQuery),
		chromedp.WaitVisible("#b-saved", chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#budgets [data-paused="day"]') === null && document.querySelectorAll('#budgets meter').length > 0`, nil))
	var tf struct {
		BudgetDay string `json:"budget_day"`
		Usage     struct {
			Paused string `json:"paused"`
		} `json:"usage"`
	}
	apiGet(t, base, "/v1/tariffs/sim1", &tf)
	if tf.BudgetDay != "5.00" || tf.Usage.Paused != "" {
		t.Fatalf("sim1's tariff after the page raised it: %+v", tf)
	}

	// Campaigns: one scheduled for next year is listed with its state and
	// progress; its page pauses, resumes and cancels it through the API,
	// and shows the API's refusal of a resume once it is cancelled.
	var created struct {
		ID string `json:"id"`
	}
	cbody := `{"name":"spring","template":"Hi {{name|there}}","send_at":"` + time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339) +
		`","budget":"2.00","audience":{"numbers":["+15550100002","+15550100001"]}}`
	req, _ := http.NewRequest("POST", base+"/v1/campaigns", strings.NewReader(cbody))
	req.Header.Set("Authorization", "Bearer "+browserFull)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.ID == "" {
		t.Fatalf("create a campaign: %d", resp.StatusCode)
	}
	if st := fetchStatus(ctx, t, "POST", "/v1/campaigns/"+created.ID+"/launch", "null", true); st != http.StatusAccepted {
		t.Fatalf("launch: %d", st)
	}
	var refusedResume, budgetShown string
	run(t, ctx, "campaigns",
		chromedp.Navigate(base+"/ui/campaigns"),
		chromedp.WaitVisible(`#campaigns [data-campaign="`+created.ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#campaigns [data-state="scheduled"]`, chromedp.ByQuery),
		chromedp.Click(`#campaigns [data-campaign="`+created.ID+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#campaign [data-state="scheduled"]`, chromedp.ByQuery),
		chromedp.Text("#campaign", &budgetShown, chromedp.ByQuery),
		chromedp.Click("#cp-pause", chromedp.ByQuery),
		chromedp.WaitVisible(`#campaign [data-state="paused"]`, chromedp.ByQuery),
		chromedp.Click("#cp-resume", chromedp.ByQuery),
		chromedp.WaitNotPresent(`#campaign [data-state="paused"]`, chromedp.ByQuery),
		chromedp.Click("#cp-cancel", chromedp.ByQuery),
		chromedp.WaitVisible(`#campaign [data-state="cancelled"]`, chromedp.ByQuery),
		chromedp.Click("#cp-resume", chromedp.ByQuery),
		chromedp.WaitVisible(`#cp-result .alert`, chromedp.ByQuery),
		chromedp.Text("#cp-result", &refusedResume, chromedp.ByQuery))
	if !strings.Contains(budgetShown, "2.00") || !strings.Contains(budgetShown, "Progress") || !strings.Contains(refusedResume, "campaign_state") {
		t.Fatalf("campaign page shows %q; the refused resume %q", budgetShown, refusedResume)
	}

	// The modem page draws the health checks' signal readings.
	run(t, ctx, "signal history",
		chromedp.Navigate(base+"/ui/modems/sim1"),
		chromedp.WaitVisible(`#signal-chart[data-samples]`, chromedp.ByQuery))

	// Screenshots of every page at desktop and phone width.
	pages := map[string]string{"overview": "/", "messages": "/ui/messages", "message": "/ui/messages/1", "send": "/ui/send",
		"inbox": "/ui/inbox", "thread": "/ui/inbox?number=%2B15550100001", "optouts": "/ui/optouts", "contacts": "/ui/contacts", "spend": "/ui/spend", "campaigns": "/ui/campaigns", "rules": "/ui/rules", "modems": "/ui/modems", "modem": "/ui/modems/sim1", "settings": "/ui/settings"}
	for _, size := range []struct {
		name string
		w, h int64
		mob  bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		run(t, ctx, "viewport", emulation.SetDeviceMetricsOverride(size.w, size.h, 1, size.mob))
		for name, p := range pages {
			var png []byte
			run(t, ctx, "screenshot "+name,
				chromedp.Navigate(base+p),
				chromedp.WaitReady(`body[data-ready]`, chromedp.ByQuery),
				chromedp.FullScreenshot(&png, 100)) // 100: PNG
			if err := os.WriteFile(filepath.Join(shots, name+"-"+size.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(t, ctx, "viewport", emulation.ClearDeviceMetricsOverride())

	// A read-only token sees, and cannot send: the form is disabled and
	// the API refuses the session's send even with its CSRF token.
	run(t, ctx, "sign out", chromedp.Click(`form[action="/ui/signout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#token", chromedp.ByQuery))
	run(t, ctx, "sign in read-only", signInAs(base, browserRead))
	var disabled bool
	var note string
	run(t, ctx, "read-only send form",
		chromedp.Navigate(base+"/ui/send"),
		chromedp.WaitVisible("#s-text", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#view fieldset').disabled`, &disabled),
		chromedp.Text("#view .note", &note, chromedp.ByQuery))
	if !disabled || !strings.Contains(note, "read-only") {
		t.Fatalf("read-only send form: disabled %v, note %q", disabled, note)
	}
	if st := fetchStatus(ctx, t, "POST", "/v1/messages", `JSON.stringify({to: ['+15550100002'], text: 'must not go'})`, true); st != http.StatusForbidden {
		t.Fatalf("a read-only session sent: %d", st)
	}
	// Without the CSRF token a session's state-changing call is refused
	// whatever its scope.
	if st := fetchStatus(ctx, t, "POST", "/v1/messages/"+id+"/retry", `null`, false); st != http.StatusForbidden {
		t.Fatalf("a call without the CSRF token: %d", st)
	}

	// A form on another site posting to the gateway is refused, though
	// the browser holds a session.
	run(t, ctx, "sign out", chromedp.Click(`form[action="/ui/signout"] button`, chromedp.ByQuery), chromedp.WaitVisible("#token", chromedp.ByQuery))
	run(t, ctx, "sign in full", signInAs(base, browserFull))
	evil := evilSite(t, base)
	var body string
	run(t, ctx, "cross-site form",
		chromedp.Navigate(evil),
		chromedp.WaitVisible("body", chromedp.ByQuery),
		chromedp.Poll(`location.href.includes('/cgi-bin/sendsms') && document.readyState === 'complete'`, nil, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Text("body", &body, chromedp.ByQuery))
	if !strings.Contains(body, "another site") && !strings.Contains(body, "CSRF") {
		t.Fatalf("the cross-site post got %q", body)
	}
	var list struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	apiGet(t, base, "/v1/messages?limit=100", &list)
	for _, m := range list.Messages {
		if m.Text == "cross-site" || m.Text == "must not go" {
			t.Fatalf("a refused request was sent: %q", m.Text)
		}
	}
}

// evilSite serves a page on another site (localhost rather than
// 127.0.0.1) whose form posts to the gateway's Kannel route, which takes
// form bodies, as soon as it loads.
func evilSite(t *testing.T, base string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<!doctype html><form id="f" method="post" action="`+base+`/cgi-bin/sendsms">
<input name="to" value="+15550100002"><input name="text" value="cross-site"></form>
<script>document.getElementById('f').submit()</script>`)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port + "/"
}

// firstLoad loads the overview with the browser's cache off and reports
// what it transferred and when it painted and filled in: the figures the
// README quotes (go test -run TestDashboardInABrowser -v ./web/).
func firstLoad(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	var fig struct {
		Bytes    float64 `json:"bytes"`
		Files    int     `json:"files"`
		FCP      float64 `json:"fcp"`
		Ready    float64 `json:"ready"`
		DOMReady float64 `json:"dom"`
	}
	run(t, ctx, "first load",
		network.SetCacheDisabled(true),
		chromedp.Navigate(base+"/"),
		chromedp.WaitReady(`body[data-ready]`, chromedp.ByQuery),
		chromedp.Evaluate(`(async () => {
			// The paint entry may be queued after the load: wait for it.
			const fcp = await new Promise((res) => {
				new PerformanceObserver((l) => {
					const e = l.getEntriesByName('first-contentful-paint')[0];
					if (e) res(e.startTime);
				}).observe({type: 'paint', buffered: true});
				setTimeout(() => res(-1), 5000);
			});
			const nav = performance.getEntriesByType('navigation')[0];
			const res = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/v1/') && !r.name.includes('/ui/api/'));
			const ready = performance.getEntriesByName('smsgw-ready')[0];
			return {bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0), files: 1 + res.length,
				fcp, ready: ready ? ready.startTime : -1, dom: nav.domContentLoadedEventEnd};
		})()`, &fig, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		network.SetCacheDisabled(false))
	t.Logf("first load of the overview: %.1f KB over the wire in %d files (page, script, styles, icon); first contentful paint %.0f ms, DOM ready %.0f ms, data filled in %.0f ms",
		fig.Bytes/1024, fig.Files, fig.FCP, fig.DOMReady, fig.Ready)
	if fig.Bytes > 200<<10 {
		t.Fatalf("the first load transferred %.0f bytes, over the 200 KB budget", fig.Bytes)
	}
	if fig.FCP < 0 || fig.Ready < 0 {
		t.Fatalf("no paint or ready mark: %+v", fig)
	}
}
