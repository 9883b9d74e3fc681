package at_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"smsgw/modem/at"
	"smsgw/modem/at/attest"
)

// guard is a failure guard, never a synchronisation delay.
const guard = 5 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEngine(t *testing.T, m *attest.Modem, cfg at.Config) *at.Engine {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	e := at.New(m, cfg)
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return c
}

// nextURC waits for one URC.
func nextURC(t *testing.T, e *at.Engine) at.URC {
	t.Helper()
	select {
	case u, ok := <-e.URCs():
		if !ok {
			t.Fatal("URC channel closed")
		}
		return u
	case <-time.After(guard):
		t.Fatal("no URC")
	}
	return at.URC{}
}

func TestExecResponses(t *testing.T) {
	tests := []struct {
		name  string
		echo  bool
		cmd   string
		reply string
		want  []string
	}{
		{"ok", false, "AT", "\r\nOK\r\n", nil},
		{"echo on", true, "AT+CGMI", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n", []string{"SIMCOM_Ltd"}},
		{"bare LF", false, "AT+CSQ", "+CSQ: 20,99\nOK\n", []string{"+CSQ: 20,99"}},
		{"bare CR", false, "AT+CSQ", "+CSQ: 20,99\rOK\r", []string{"+CSQ: 20,99"}},
		{"CR CR LF and blank lines", false, "AT+CSCS?", "\r\r\n+CSCS: \"GSM\"\r\r\n\r\n\r\nOK\r\n", []string{"+CSCS: \"GSM\""}},
		{"leading space kept out", false, "AT+CGMI", "\r\n WAVECOM MODEM\r\n\r\nOK\r\n", []string{"WAVECOM MODEM"}},
		{"multi-line", false, "AT+CMGL=4", "\r\n+CMGL: 1,0,,23\r\n0791AB\r\n+CMGL: 2,1,\"\",24\r\n0791CD\r\n\r\nOK\r\n",
			[]string{"+CMGL: 1,0,,23", "0791AB", "+CMGL: 2,1,\"\",24", "0791CD"}},
		{"garbage before reply", false, "AT+CMGL=4", "\r\n\x00\xffpad\r\n+CMGL: 1, 0,,23\r\n00AA\r\nOK\r\n",
			[]string{"\xffpad", "+CMGL: 1, 0,,23", "00AA"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := attest.New()
			m.SetEcho(tc.echo)
			m.On(tc.cmd, tc.reply)
			e := newEngine(t, m, at.Config{})
			got, err := e.Exec(ctx(t), tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinalErrors(t *testing.T) {
	tests := []struct {
		reply     string
		wantCMS   int
		wantCME   int
		wantRes   string
		wantClass at.Class
		meaning   string
	}{
		{"\r\n+CMS ERROR: 304\r\n", 304, 0, "", at.ClassPermanent, "invalid PDU mode parameter"},
		{"\r\n+CMS ERROR: 500\r\n", 500, 0, "", at.ClassTemporary, "unknown error"},
		{"\r\n+CMS ERROR: 331\r\n", 331, 0, "", at.ClassModemFault, "no network service"},
		{"\r\n+CMS ERROR: 42\r\n", 42, 0, "", at.ClassTemporary, "congestion"},
		{"\r\n+CMS ERROR: 1\r\n", 1, 0, "", at.ClassPermanent, "unassigned (unallocated) number"},
		{"\r\n+CMS ERROR: 208\r\n", 208, 0, "", at.ClassModemFault, "SIM SMS storage full"},
		{"\r\n+CMS ERROR: unknown error\r\n", 500, 0, "", at.ClassTemporary, "unknown error"},
		{"\r\n+CMS ERROR: INVALID SMS PDU\r\n", 304, 0, "", at.ClassPermanent, "invalid PDU mode parameter"},
		{"\r\n+CMS ERROR: something new\r\n", -1, 0, "", at.ClassTemporary, "something new"},
		{"\r\n+CMGS ERROR: 38\r\n", 38, 0, "", at.ClassTemporary, "network out of order"},
		{"\r\n+CME ERROR: 16\r\n", 0, 16, "", at.ClassModemFault, "incorrect password"},
		{"\r\n+CME ERROR: 14\r\n", 0, 14, "", at.ClassTemporary, "SIM busy"},
		{"\r\n+CME ERROR: SIM busy\r\n", 0, 14, "", at.ClassTemporary, "SIM busy"},
		{"\r\n+CME ERROR: BAD PIN\r\n", 0, 16, "", at.ClassModemFault, "incorrect password"},
		{"\r\nERROR\r\n", 0, 0, "ERROR", at.ClassTemporary, ""},
		{"\r\nCOMMAND NOT SUPPORT\r\n", 0, 0, "COMMAND NOT SUPPORT", at.ClassTemporary, ""},
		{"\r\nNO CARRIER\r\n", 0, 0, "NO CARRIER", at.ClassTemporary, ""},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSpace(tc.reply), func(t *testing.T) {
			m := attest.New()
			m.On("AT+X", tc.reply)
			e := newEngine(t, m, at.Config{})
			_, err := e.Exec(ctx(t), "AT+X")
			if err == nil {
				t.Fatal("no error")
			}
			var ce *at.CommandError
			if !errors.As(err, &ce) || ce.Cmd != "AT+X" {
				t.Errorf("not a CommandError naming the command: %v", err)
			}
			var cms *at.CMSError
			var cme *at.CMEError
			var res *at.ResultError
			switch {
			case tc.wantCMS != 0:
				if !errors.As(err, &cms) || cms.Code != tc.wantCMS || cms.Meaning() != tc.meaning {
					t.Errorf("got %v, want CMS %d %q", err, tc.wantCMS, tc.meaning)
				}
			case tc.wantCME != 0:
				if !errors.As(err, &cme) || cme.Code != tc.wantCME || cme.Meaning() != tc.meaning {
					t.Errorf("got %v, want CME %d %q", err, tc.wantCME, tc.meaning)
				}
			default:
				if !errors.As(err, &res) || res.Result != tc.wantRes {
					t.Errorf("got %v, want result %q", err, tc.wantRes)
				}
			}
			if c := at.Classify(err); c != tc.wantClass {
				t.Errorf("class %v, want %v", c, tc.wantClass)
			}
		})
	}
}

func TestClassifyOthers(t *testing.T) {
	if c := at.Classify(fmt.Errorf("x: %w", at.ErrClosed)); c != at.ClassModemFault {
		t.Errorf("closed: %v", c)
	}
	if c := at.Classify(fmt.Errorf("x: %w", at.ErrTimeout)); c != at.ClassTemporary {
		t.Errorf("timeout: %v", c)
	}
	if c := at.Classify(context.Canceled); c != at.ClassUnknown {
		t.Errorf("canceled: %v", c)
	}
	if c := at.Classify(nil); c != at.ClassUnknown {
		t.Errorf("nil: %v", c)
	}
}

func TestURCsAnywhere(t *testing.T) {
	m := attest.New()
	m.SetEcho(true)
	// Huawei: ^RSSI inside CMGR; a +CMT (two lines) between the header lines
	// of a CMGL listing; +CREG between the response and OK; RING alone.
	m.On("AT+CMGR=0", "\r\n^RSSI: 20\r\n+CMGR: 0,,20\r\n^RSSI:3\r\n0791AA\r\n\r\nOK\r\n")
	m.On("AT+CMGL=4", "\r\n+CMGL: 0,1,,23\r\n0011\r\n+CMT: ,24\r\n07914477\r\n+CMGL: 1,1,,23\r\n0022\r\n+CREG: 5\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	got, err := e.Exec(ctx(t), "AT+CMGR=0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CMGR: 0,,20", "0791AA"}, got); diff != "" {
		t.Errorf("CMGR (-want +got):\n%s", diff)
	}
	got, err = e.Exec(ctx(t), "AT+CMGL=4")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CMGL: 0,1,,23", "0011", "+CMGL: 1,1,,23", "0022"}, got); diff != "" {
		t.Errorf("CMGL (-want +got):\n%s", diff)
	}
	m.Inject("\r\nRING\r\n\r\n+CDS: 25\r\n0006F1\r\n+CMTI: \"SM\",3\r\n")
	var names []string
	for range 7 {
		u := nextURC(t, e)
		names = append(names, u.Name+"|"+u.Args+"|"+u.PDU)
	}
	want := []string{"^RSSI|20|", "^RSSI|3|", "+CMT|,24|07914477", "+CREG|5|", "RING||", "+CDS|25|0006F1", "+CMTI|\"SM\",3|"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("URCs in order (-want +got):\n%s", diff)
	}
}

func TestTwoLineURCWithoutPDU(t *testing.T) {
	m := attest.New()
	m.On("AT", "\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	m.Inject("\r\n+CMT: ,24\r\n")
	// The next line is OK of a command: not a PDU; the URC goes out bare and
	// the OK still ends the command.
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
	if u := nextURC(t, e); u.Name != "+CMT" || u.PDU != "" {
		t.Errorf("got %+v", u)
	}
}

func TestPromptVariants(t *testing.T) {
	const pdu = "0011000B915121551532F40000AA0161"
	tests := []struct {
		name   string
		prompt string
		echo   bool
		chunk  int
	}{
		{"standard", "\r\n> ", false, 0},
		{"no CRLF", "> ", false, 0},
		{"SIM7670G bare", "\r\n>\r\n", false, 0},
		{"LF only", "\n>", false, 0},
		{"echo on, Wavecom", "\r\n> ", true, 0},
		{"split reads", "\r\n> ", true, 1},
		{"ZTE URC before prompt", "\r\n+ZPASR: \"UMTS\"\r\n\r\n> ", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := attest.New()
			m.SetEcho(tc.echo)
			m.SetChunk(tc.chunk)
			m.On("AT+CMGS=16", tc.prompt)
			m.On(pdu, "\r\n+ZDONR: \"X\",1\r\n+CMGS: 17\r\n\r\nOK\r\n")
			e := newEngine(t, m, at.Config{})
			got, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: pdu})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"+CMGS: 17"}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptRefused(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\n+CMS ERROR: 302\r\n")
	e := newEngine(t, m, at.Config{})
	_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
	var cms *at.CMSError
	if !errors.As(err, &cms) || cms.Code != 302 {
		t.Fatalf("got %v", err)
	}
	if diff := cmp.Diff([]string{"AT+CMGS=16"}, m.Commands()); diff != "" {
		t.Errorf("payload must not be written without a prompt (-want +got):\n%s", diff)
	}
}

func TestSendErrorAfterPayload(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\n> ")
	m.On("00AA", "\r\n+CMS ERROR: 331\r\n")
	e := newEngine(t, m, at.Config{})
	_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
	if at.Classify(err) != at.ClassModemFault {
		t.Fatalf("got %v", err)
	}
}

func TestPromptTimeoutEscapes(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "") // the prompt never comes
	m.On("<ESC>", "\r\nOK\r\n")
	m.On("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA", PromptTimeout: 50 * time.Millisecond})
	var ce *at.CommandError
	if !errors.Is(err, at.ErrTimeout) || !errors.As(err, &ce) || ce.Phase != "prompt" {
		t.Fatalf("got %v", err)
	}
	// ESC went out; its OK must not be taken as the answer to AT+CSQ.
	got, err := e.Exec(ctx(t), "AT+CSQ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CSQ: 20,99"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStaleAnswerAfterTimeout(t *testing.T) {
	m := attest.New()
	m.On("AT+COPS?", "") // answers late, below
	m.On("AT+CSQ", "\r\n+CSQ: 11,99\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{DrainWindow: guard})
	_, err := e.Do(ctx(t), at.Cmd{Line: "AT+COPS?", Timeout: 20 * time.Millisecond})
	if !errors.Is(err, at.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
	done := make(chan struct{})
	var got []string
	go func() {
		defer close(done)
		got, err = e.Exec(context.Background(), "AT+CSQ")
	}()
	// The late answer of COPS arrives before CSQ is even written: the engine
	// must be holding CSQ back until it has been drained.
	if m.WaitCommands(2, 100*time.Millisecond) {
		t.Fatal("AT+CSQ written while a late answer was still due")
	}
	m.Inject("\r\n+COPS: 0,0,\"Late\",7\r\n\r\nOK\r\n")
	select {
	case <-done:
	case <-time.After(guard):
		t.Fatal("CSQ never completed")
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CSQ: 11,99"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStaleNeverComes(t *testing.T) {
	m := attest.New()
	m.On("AT+COPS?", "")
	m.On("AT", "\r\nOK\r\n")
	e := newEngine(t, m, at.Config{DrainWindow: 30 * time.Millisecond})
	if _, err := e.Do(ctx(t), at.Cmd{Line: "AT+COPS?", Timeout: 20 * time.Millisecond}); !errors.Is(err, at.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatalf("after an answer that never came: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	m := attest.New()
	m.On("AT+CUSD=*", "")
	e := newEngine(t, m, at.Config{})
	c, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := e.Exec(c, "AT+CUSD=1,\"*100#\",15")
		errc <- err
	}()
	if !m.WaitCommands(1, guard) {
		t.Fatal("command not written")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
	case <-time.After(guard):
		t.Fatal("cancel did not end the wait")
	}
}

func TestUnplugFailsAllWaiters(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=*", "\r\n> ")
	m.On("00AA", "") // the network never answers
	e := newEngine(t, m, at.Config{})
	const n = 4
	errc := make(chan error, n)
	go func() {
		_, err := e.Do(context.Background(), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
		errc <- err
	}()
	if !m.WaitCommands(2, guard) { // the command and its payload
		t.Fatal("send not under way")
	}
	for range n - 1 {
		go func() {
			_, err := e.Exec(context.Background(), "AT+CSQ")
			errc <- err
		}()
	}
	m.Unplug()
	for range n {
		select {
		case err := <-errc:
			if !errors.Is(err, at.ErrClosed) || !strings.Contains(err.Error(), "input/output error") {
				t.Errorf("got %v, want ErrClosed naming the cause", err)
			}
		case <-time.After(guard):
			t.Fatal("a waiter was not failed")
		}
	}
	select {
	case _, ok := <-e.URCs():
		if ok {
			t.Error("URC after unplug")
		}
	case <-time.After(guard):
		t.Fatal("URC channel not closed")
	}
	if _, err := e.Exec(context.Background(), "AT"); !errors.Is(err, at.ErrClosed) {
		t.Errorf("after unplug: %v", err)
	}
}

func TestCloseIsIdempotentAndFailsWaiters(t *testing.T) {
	m := attest.New()
	m.On("AT+CSQ", "")
	e := at.New(m, at.Config{Logger: quiet()})
	errc := make(chan error, 1)
	go func() {
		_, err := e.Exec(context.Background(), "AT+CSQ")
		errc <- err
	}()
	if !m.WaitCommands(1, guard) {
		t.Fatal("not written")
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if err := <-errc; !errors.Is(err, at.ErrClosed) {
		t.Fatalf("got %v", err)
	}
}

func TestSerialisedCallers(t *testing.T) {
	m := attest.New()
	m.SetChunk(3)
	m.Handle(func(cmd string) (string, bool) {
		if n, ok := strings.CutPrefix(cmd, "AT+X="); ok {
			return "\r\n+X: " + n + "\r\n^RSSI:9\r\nOK\r\n", true
		}
		return "", false
	})
	e := newEngine(t, m, at.Config{})
	go func() {
		for range e.URCs() {
		}
	}()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.Exec(ctx(t), fmt.Sprintf("AT+X=%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			if want := fmt.Sprintf("+X: %d", i); len(got) != 1 || got[0] != want {
				t.Errorf("caller %d got %q", i, got)
			}
		}()
	}
	wg.Wait()
}

func TestTraceRedactsPIN(t *testing.T) {
	m := attest.New()
	m.SetEcho(true)
	m.On("AT+CPIN=\"4711\"", "\r\nOK\r\n")
	var buf bytes.Buffer
	var mu sync.Mutex
	e := newEngine(t, m, at.Config{Trace: lockedWriter{&buf, &mu}, Secrets: []string{"4711"}})
	if _, err := e.Exec(ctx(t), "AT+CPIN=\"4711\""); err != nil {
		t.Fatal(err)
	}
	e.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	if strings.Contains(out, "4711") {
		t.Errorf("PIN in trace:\n%s", out)
	}
	if !strings.Contains(out, "tx \"AT+CPIN=<redacted>\\r\"") || !strings.Contains(out, "rx \"OK\"") {
		t.Errorf("trace lacks the exchange:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestOnEcho(t *testing.T) {
	m := attest.New()
	m.On("AT", "\r\nOK\r\n")
	echoes := make(chan string, 4)
	e := newEngine(t, m, at.Config{OnEcho: func(c string) { echoes <- c }})
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
	if len(echoes) != 0 {
		t.Fatal("echo reported while echo off")
	}
	m.SetEcho(true) // as after a reset
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
	if got := <-echoes; got != "AT" {
		t.Errorf("echo %q", got)
	}
}

func TestUnknownLinesAreNotFatal(t *testing.T) {
	m := attest.New()
	m.On("AT", "\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	m.Inject("\r\nsome junk\r\n+CMS ERROR: 500\r\nOK\r\n\x00\x01\r\nRING\r\n")
	if u := nextURC(t, e); u.Name != "RING" {
		t.Fatalf("got %+v", u)
	}
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
}

func TestEscape(t *testing.T) {
	m := attest.New()
	m.On("AT", "\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	if err := e.Escape(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
}

func TestRedact(t *testing.T) {
	got := at.Redact(`AT+CPIN="12345678","1234" then 1234`, []string{"1234"})
	if strings.Contains(got, "1234") {
		t.Errorf("got %q", got)
	}
}

func TestNoFinal(t *testing.T) {
	m := attest.New()
	m.Once("AT+CPIN?", "\r\n+CPIN: READY\r\n") // Wavecom: no OK
	m.On("AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n")
	m.On("AT", "\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	cmd := at.Cmd{Line: "AT+CPIN?", NoFinal: "+CPIN", NoFinalGrace: 20 * time.Millisecond, Timeout: guard}
	got, err := e.Do(ctx(t), cmd)
	if err != nil || len(got) != 1 || got[0] != "+CPIN: READY" {
		t.Fatalf("%q %v", got, err)
	}
	got, err = e.Do(ctx(t), cmd)
	if err != nil || len(got) != 1 || got[0] != "+CPIN: SIM PIN" {
		t.Fatalf("with OK: %q %v", got, err)
	}
	if _, err := e.Exec(ctx(t), "AT"); err != nil {
		t.Fatal(err)
	}
}

// FuzzEngineReply runs whole commands whose replies carry arbitrary bytes
// before the final OK: the engine must neither panic nor hang, and whatever
// it returns is a typed outcome.
func FuzzEngineReply(f *testing.F) {
	for _, s := range []string{"+CSQ: 20,99", "\r\n> ", "+CMT: ,24\r\n", "^RSSI:3\r\n+CMS ERROR: 500", "AT\r", "\x00\xff>", "+CPIN: READY"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, reply []byte, echo bool) {
		m := attest.New()
		m.SetEcho(echo)
		m.On("AT+X", "\r\n"+string(reply)+"\r\nOK\r\n")
		m.On("AT+Y", "\r\nOK\r\n")
		e := at.New(m, at.Config{Logger: quiet(), DrainWindow: 10 * time.Millisecond})
		defer e.Close(context.Background())
		go func() {
			for range e.URCs() {
			}
		}()
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		lines, err := e.Exec(c, "AT+X")
		var ce *at.CommandError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("untyped error %v", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hung on reply %q", reply)
		}
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("line %q", l)
			}
		}
		// The engine stays usable.
		if _, err := e.Exec(c, "AT+Y"); errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("next command hung after reply %q", reply)
		}
	})
}

func TestExpectHealsLateAnswer(t *testing.T) {
	m := attest.New()
	m.On("AT+COPS?", "") // answers late, below
	m.On("AT+CSQ", "")   // answered by hand after the late COPS answer
	e := newEngine(t, m, at.Config{DrainWindow: time.Millisecond})
	if _, err := e.Do(ctx(t), at.Cmd{Line: "AT+COPS?", Timeout: 10 * time.Millisecond}); !errors.Is(err, at.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
	done := make(chan struct{})
	var got []string
	var err error
	go func() {
		defer close(done)
		got, err = e.Do(context.Background(), at.Cmd{Line: "AT+CSQ", Expect: "+CSQ", Timeout: guard})
	}()
	if !m.WaitCommands(2, guard) {
		t.Fatal("CSQ not written")
	}
	// The drain window is over: COPS's answer lands while CSQ waits.
	m.Inject("\r\n+COPS: 0,0,\"Late\",7\r\n\r\nOK\r\n\r\n+CSQ: 11,99\r\n\r\nOK\r\n")
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CSQ: 11,99"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLateOKBeforePrompt(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\nOK\r\n\r\n> ") // a stale OK, then the real prompt
	m.On("00AA", "\r\n+CMGS: 4\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	got, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CMGS: 4"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A cancellation after the PDU went out must say so: the modem may send
// it. One before the prompt must not.
func TestPayloadWrittenReported(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\n> ")
	m.On("00AA", "") // the network round trip never ends
	e := newEngine(t, m, at.Config{})
	c, cancel := context.WithCancel(ctx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := e.Do(c, at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
		errc <- err
	}()
	if !m.WaitCommands(2, guard) {
		t.Fatalf("payload never written: %q", m.Commands())
	}
	cancel()
	err := <-errc
	var ce *at.CommandError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ce) || !ce.PayloadWritten {
		t.Fatalf("cancel after the payload: got %#v", err)
	}

	m2 := attest.New()
	m2.On("AT+CMGS=16", "") // no prompt
	m2.On("<ESC>", "\r\nOK\r\n")
	e2 := newEngine(t, m2, at.Config{})
	c2, cancel2 := context.WithCancel(ctx(t))
	go func() {
		_, err := e2.Do(c2, at.Cmd{Line: "AT+CMGS=16", Payload: "00AA"})
		errc <- err
	}()
	if !m2.WaitCommands(1, guard) {
		t.Fatal("command never written")
	}
	cancel2()
	err = <-errc
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ce) || ce.PayloadWritten {
		t.Fatalf("cancel before the prompt: got %#v", err)
	}
	if cmds := m2.Commands(); len(cmds) > 1 && cmds[1] == "00AA" {
		t.Errorf("payload written without a prompt: %q", cmds)
	}
}

// A modem that says nothing at all fails a long command after
// AnswerTimeout, not after the command's own minute.
func TestNoAnswerFailsEarly(t *testing.T) {
	m := attest.New()
	m.SetEcho(false)
	m.SetHang(true)
	e := newEngine(t, m, at.Config{AnswerTimeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := e.Exec(ctx(t), "AT+CMGL=4") // its own timeout is a minute
	if !errors.Is(err, at.ErrNoAnswer) || !errors.Is(err, at.ErrTimeout) {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el >= guard {
		t.Fatalf("took %v", el)
	}
	// A modem that starts answering in time is not cut short, however
	// long the whole answer takes.
	m2 := attest.New()
	m2.SetEcho(false)
	m2.On("AT+CMGL=4", "")
	e2 := newEngine(t, m2, at.Config{AnswerTimeout: time.Second})
	errc := make(chan error, 1)
	go func() {
		_, err := e2.Exec(ctx(t), "AT+CMGL=4")
		errc <- err
	}()
	if !m2.WaitCommands(1, guard) {
		t.Fatal("command never written")
	}
	m2.Inject("\r\n+CMGL: 1,0,,23\r\n")
	time.Sleep(1300 * time.Millisecond) // past AnswerTimeout: the answer is slow, not absent
	m2.Inject("0791\r\n\r\nOK\r\n")
	if err := <-errc; err != nil {
		t.Fatalf("slow answer failed: %v", err)
	}
}

// A periodic probe never queues behind a command in flight.
func TestNoQueueBusy(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "") // holds the port waiting for its prompt
	m.On("<ESC>", "\r\nOK\r\n")
	m.On("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA", PromptTimeout: guard / 2})
		errc <- err
	}()
	if !m.WaitCommands(1, guard) {
		t.Fatal("command never written")
	}
	if !e.Busy() {
		t.Error("Busy false with a command in flight")
	}
	_, err := e.Exec(at.QueueLimit(ctx(t), 0), "AT+CSQ")
	if !errors.Is(err, at.ErrBusy) {
		t.Fatalf("probe behind a stuck command: got %v", err)
	}
	<-errc
	if got, err := e.Exec(at.QueueLimit(ctx(t), 0), "AT+CSQ"); err != nil || len(got) != 1 {
		t.Fatalf("probe on a free port: %v %v", got, err)
	}
}

// stuckPort is a port whose Close does not end a read in progress, as some
// serial drivers behave; release lets the read return.
type stuckPort struct {
	release chan struct{}
}

func (p *stuckPort) Read([]byte) (int, error) {
	<-p.release
	return 0, io.EOF
}
func (p *stuckPort) Write(b []byte) (int, error) { return len(b), nil }
func (p *stuckPort) Close() error                { return nil }

// TestCloseBoundedByContext: Close gives up waiting for a reader stuck in
// the port when its ctx ends, saying so; a later Close waits for the
// reader, which ends once the read returns.
func TestCloseBoundedByContext(t *testing.T) {
	p := &stuckPort{release: make(chan struct{})}
	e := at.New(p, at.Config{Logger: quiet()})
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a stuck reader = %v, want DeadlineExceeded", err)
	}
	close(p.release)
	if err := e.Close(ctx(t)); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	select {
	case <-e.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
}

// Hold runs at the prompt: the command line is out and prompted for, the
// payload not yet; it is written once Hold returns.
func TestHoldAtPrompt(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\n> ")
	m.On("00AA", "\r\n+CMGS: 7\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	release := make(chan struct{})
	seen := make(chan []string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA", Hold: func(context.Context) error {
			seen <- m.Commands()
			<-release
			return nil
		}})
		done <- err
	}()
	select {
	case got := <-seen:
		if diff := cmp.Diff([]string{"AT+CMGS=16"}, got); diff != "" {
			t.Errorf("at the hold (-want +got):\n%s", diff)
		}
	case <-time.After(guard):
		t.Fatal("Hold not called")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"AT+CMGS=16", "00AA"}, m.Commands()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A Hold that fails leaves the prompt with ESC, writes nothing of the
// payload, and the OK the ESC earns is not taken as the next answer.
func TestHoldFailsEscapes(t *testing.T) {
	m := attest.New()
	m.On("AT+CMGS=16", "\r\n> ")
	m.On("<ESC>", "\r\nOK\r\n")
	m.On("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	e := newEngine(t, m, at.Config{})
	why := errors.New("not yet")
	_, err := e.Do(ctx(t), at.Cmd{Line: "AT+CMGS=16", Payload: "00AA", Hold: func(context.Context) error { return why }})
	var ce *at.CommandError
	if !errors.Is(err, why) || !errors.As(err, &ce) || ce.Phase != "hold" || ce.PayloadWritten {
		t.Fatalf("got %v", err)
	}
	got, err := e.Exec(ctx(t), "AT+CSQ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"+CSQ: 20,99"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AT+CMGS=16", "<ESC>", "AT+CSQ"}, m.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}
