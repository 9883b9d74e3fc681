// Package storetest is the conformance suite of storage drivers: the
// behaviour the queue's callers rely on (enqueue and idempotency, claims,
// attempts, retries, status reports, cancel and requeue, inbound parts and
// their joining, SIM slot de-duplication, the event outbox, webhook
// registrations, the notifier, leases of attempts and deliveries, and
// several gateways (nodes) on one database, their modem ids apart),
// written once against the interfaces of package queue
// (and hooks.Registry) and run against every driver by a test in the
// driver's package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t testing.TB, name string, opt queue.Options) queue.Storage { ... })
//	}
package storetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// Opener opens a store for one test. The suite passes a name unique to the
// test; opening the same name again after Close opens the same database,
// as a restart of the daemon would. opt carries the clock and the policies
// the test sets; the driver adds its own settings and closes the store
// when the test ends (Close may already have been called). The store must
// do no time-driven work on its own (no housekeeping goroutine): the suite
// calls Sweep itself, with a clock it moves.
type Opener func(t testing.TB, name string, opt queue.Options) queue.Storage

// Run runs the whole suite against the driver that open opens.
func Run(t *testing.T, open Opener, opts ...Option) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	known := map[string]bool{}
	for _, tc := range suite {
		known[tc.name] = true
	}
	for name := range cfg.skip {
		if !known[name] {
			t.Errorf("storetest: Skip names %q, which is not a test of the suite", name)
		}
	}
	d := driver{open: open}
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := cfg.skip[tc.name]; ok {
				t.Skipf("the driver does not implement this yet: %s", why)
			}
			tc.fn(t, d)
		})
	}
}

// An Option changes how Run runs the suite.
type Option func(*runConfig)

type runConfig struct{ skip map[string]string }

// Skip leaves out the tests named (the keys, as Run names its subtests),
// each with the reason given, while a driver is being written: the tests
// run unchanged, only fewer of them. A name that is not a test of the
// suite fails the run, so the list cannot go stale silently.
func Skip(tests map[string]string) Option {
	return func(c *runConfig) { c.skip = tests }
}

var suite = []struct {
	name string
	fn   func(*testing.T, driver)
}{
	{"EnqueueGetList", testEnqueueGetList},
	{"EnqueueValidation", testEnqueueValidation},
	{"IdempotencyKey", testIdempotencyKey},
	{"ByKeyFlashAndFilters", testByKeyFlashAndFilters},
	{"BinaryMessages", testBinaryMessages},
	{"InboundBinary", testInboundBinary},
	{"StateTransitions", testStateTransitions},
	{"ClaimOrder", testClaimOrder},
	{"ClaimRouting", testClaimRouting},
	{"ClaimRateLimit", testClaimRateLimit},
	{"PartialResend", testPartialResend},
	{"RetryBackoff", testRetryBackoff},
	{"ConcurrentClaims", testConcurrentClaims},
	{"MarkUncertain", testMarkUncertain},
	{"PartResultValidation", testPartResultValidation},
	{"ReportMatchingWrapAround", testReportMatchingWrapAround},
	{"ReportMatchingFilters", testReportMatchingFilters},
	{"RequeueAfterFailedReport", testRequeueAfterFailedReport},
	{"InboundJoinAnyOrder", testInboundJoinAnyOrder},
	{"InboundTimeout", testInboundTimeout},
	{"InboundDecoderFailure", testInboundDecoderFailure},
	{"InboundValidation", testInboundValidation},
	{"InboundSlotLifecycle", testInboundSlotLifecycle},
	{"InboundSlotSurvivesRestart", testInboundSlotSurvivesRestart},
	{"DeleteInboxKeepsSlot", testDeleteInboxKeepsSlot},
	{"SlotsSeen", testSlotsSeen},
	{"AddUndecodable", testAddUndecodable},
	{"InboundDefectsJoined", testInboundDefectsJoined},
	{"InboundSeparation", testInboundSeparation},
	{"OutboxConsumers", testOutboxConsumers},
	{"DropEvent", testDropEvent},
	{"PruneDeadDeliveries", testPruneDeadDeliveries},
	{"Purge", testPurge},
	{"CountsExact", testCountsExact},
	{"WebhookRegistry", testWebhookRegistry},
	{"CallsAfterClose", testCallsAfterClose},
	{"Leases", testLeases},
	{"LeasesAtOpen", testLeasesAtOpen},
	{"EventLeases", testEventLeases},
	{"Notifier", testNotifier},
	{"SameModemTwoNodes", testSameModemTwoNodes},
	{"NodeRegister", testNodeRegister},
	{"RuleStore", testRuleStore},
	{"RuleLoopState", testRuleLoopState},
	{"Conversations", testConversations},
	{"ConvOneRequest", testConversationsOneRequest},
	{"ConsentSuppression", testConsentSuppression},
	{"ConsentOptOutCancels", testConsentOptOutCancels},
	{"ConsentStillWanted", testConsentStillWanted},
	{"ConsentLedger", testConsentLedger},
	{"ContactStore", testContactStore},
	{"GroupStore", testGroupStore},
	{"ContactImport", testContactImport},
	{"PriceStore", testPriceStore},
	{"SpendStore", testSpendStore},
	{"CampaignStore", testCampaignStore},
	{"CampaignPauseResume", testCampaignPauseResume},
	{"CampaignOptOutFinish", testCampaignOptOutFinish},
	{"CampaignWindowExpiry", testCampaignWindowExpiry},
	{"CampaignRuns", testCampaignRuns},
	{"SpendFreeParts", testSpendFreeParts},
	{"TariffStore", testTariffStore},
	{"CampaignBudget", testCampaignBudget},
}

// driver is the Opener with the suite's conventions around it.
type driver struct{ open Opener }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// name is the database name of the running test.
func dbName(t testing.TB) string { return unsafeName.ReplaceAllString(t.Name(), "_") }

// testStore opens a fresh store with a fake clock and no housekeeping
// goroutine (tests call Sweep themselves).
func (d driver) testStore(t testing.TB, opt queue.Options) (queue.Storage, *Clock) {
	t.Helper()
	clk := NewClock()
	if opt.Now == nil {
		opt.Now = clk.Now
	}
	return d.reopen(t, opt), clk
}

// reopen opens the running test's database with opt as given, apart from
// the suite's conventions (a quiet logger).
func (d driver) reopen(t testing.TB, opt queue.Options) queue.Storage {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = quiet
	}
	return d.open(t, dbName(t), opt)
}

// Clock is an injected Now for storage tests: it stands still until
// Advance moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a Clock at a fixed time (2026-03-01 12:00 UTC).
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustEnqueue(t testing.TB, st queue.Storage, m queue.NewMessage) []queue.Message {
	t.Helper()
	if m.Text == "" {
		m.Text = "hello"
	}
	if len(m.To) == 0 {
		m.To = []string{"+4915112345678"}
	}
	res, err := st.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return res.Messages
}

func mustClaim(t testing.TB, st queue.Storage, co queue.ClaimOptions) *queue.Job {
	t.Helper()
	j, err := st.TryClaim(context.Background(), co)
	if err != nil {
		t.Fatalf("TryClaim(%+v): %v", co, err)
	}
	return j
}

func noClaim(t testing.TB, st queue.Storage, co queue.ClaimOptions) {
	t.Helper()
	j, err := st.TryClaim(context.Background(), co)
	if !errors.Is(err, queue.ErrNoMessage) {
		t.Fatalf("TryClaim(%+v) = %+v, %v; want ErrNoMessage", co, j, err)
	}
}

func mustGet(t testing.TB, st queue.Storage, id int64) queue.Message {
	t.Helper()
	m, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return m
}

func wantState(t testing.TB, st queue.Storage, id int64, want smsgw.State) queue.Message {
	t.Helper()
	m := mustGet(t, st, id)
	if m.State != want {
		t.Fatalf("message %d state = %s (reason %q), want %s", id, m.State, m.Reason, want)
	}
	return m
}

// eventTypes lists the outbox event types for one subject, in order.
func eventTypes(t testing.TB, st queue.Storage, subject int64) []queue.EventType {
	t.Helper()
	evs, err := st.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.EventType
	for _, e := range evs {
		if e.SubjectID == subject {
			out = append(out, e.Type)
		}
	}
	return out
}

var modemA = queue.ClaimOptions{Modem: "a"}
var modemB = queue.ClaimOptions{Modem: "b"}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
