package modem

import (
	"context"
	"errors"
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

const guard = 10 * time.Second

const ok = "\r\nOK\r\n"

func reply(lines ...string) string {
	return "\r\n" + strings.Join(lines, "\r\n") + "\r\n\r\nOK\r\n"
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testCfg() Config {
	return Config{ID: "t", Logger: quiet(), RetryInterval: 5 * time.Millisecond, ReadyTimeout: time.Second, SyncAttempts: 3}
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return c
}

// baseScript is a tidy SIMCom-like modem; tests override entries ("" removes
// one, so the fake answers ERROR).
func baseScript() map[string]string {
	return map[string]string{
		"AT":                     ok,
		"ATE0":                   ok,
		"AT+CMEE=1":              ok,
		"AT+CGMI":                reply("SIMCOM_Ltd"),
		"AT+CPIN?":               reply("+CPIN: READY"),
		"AT+CMGF=0":              ok,
		"AT+CPMS=?":              reply(`+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`),
		`AT+CPMS="SM","SM","SM"`: reply("+CPMS: 2,20,2,20,2,20"),
		"AT+CNMI=2,1,0,1,0":      ok,
		"AT+CSMS?":               reply("+CSMS: 0,1,1,1"),
		"AT+CREG=1":              ok,
		"AT+CEREG=1":             ok,
		"AT+COPS=3,0":            ok,
	}
}

func fake(script map[string]string) *attest.Modem {
	m := attest.New()
	m.SetEcho(true) // as after power-up
	for k, v := range script {
		if v != "" {
			m.On(k, v)
		}
	}
	return m
}

func open(t *testing.T, f *attest.Modem, cfg Config) *Modem {
	t.Helper()
	m, err := New(tctx(t), f, cfg)
	if err != nil {
		t.Fatalf("New: %v (unexpected commands %q)", err, f.Unexpected())
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

func nextEvent(t *testing.T, m *Modem) Event {
	t.Helper()
	select {
	case ev, ok := <-m.Events():
		if !ok {
			t.Fatal("events closed")
		}
		return ev
	case <-time.After(guard):
		t.Fatal("no event")
	}
	return Event{}
}

func TestInitSequence(t *testing.T) {
	f := fake(baseScript())
	m := open(t, f, testCfg())
	want := []string{"AT", "ATE0", "AT+CMEE=1", "AT+CPIN?", "AT+CGMI", "AT+CMGF=0", "AT+CPMS=?",
		`AT+CPMS="SM","SM","SM"`, "AT+CNMI=2,1,0,1,0", "AT+CSMS?", "AT+CREG=1", "AT+CEREG=1", "AT+COPS=3,0"}
	if diff := cmp.Diff(want, f.Commands()); diff != "" {
		t.Errorf("init commands (-want +got):\n%s", diff)
	}
	got := m.Setup()
	if diff := cmp.Diff(Setup{Manufacturer: "SIMCOM_Ltd", Storage: "SM", StorageUsed: 2, StorageTotal: 20, CNMI: "2,1,0,1,0"}, got); diff != "" {
		t.Errorf("setup (-want +got):\n%s", diff)
	}
}

func TestInitFallbacksAndQuirks(t *testing.T) {
	s := baseScript()
	// Huawei: refuses <ds>=1 and answers the unknown with COMMAND NOT
	// SUPPORT; AT^CURC=0 accepted.
	s["AT+CGMI"] = reply("huawei")
	s["AT+CNMI=2,1,0,1,0"] = "\r\n+CMS ERROR: 303\r\n"
	s["AT+CNMI=2,1,0,2,0"] = "\r\nCOMMAND NOT SUPPORT\r\n"
	s["AT+CNMI=1,1,0,1,0"] = ok
	s["AT^CURC=0"] = ok
	// Wavecom-shaped CPMS: extra parentheses, two groups only.
	s["AT+CPMS=?"] = reply(`+CPMS: (("SM","BM","SR"),("SM"))`)
	s[`AT+CPMS="SM","SM","SM"`] = ""
	s[`AT+CPMS="SM","SM"`] = reply("+CPMS: 14,50,14,50")
	s["AT+CEREG=1"] = ""
	f := fake(s)
	// Busy while the SIM settles.
	f.Once("AT+CMGF=0", "\r\n+CMS ERROR: 302\r\n").Once("AT+CMGF=0", "\r\n+CME ERROR: 14\r\n")
	cfg := testCfg()
	cfg.SMSC = "+491710760000"
	f.On(`AT+CSCA="+491710760000",145`, ok)
	m := open(t, f, cfg)
	got := m.Setup()
	if got.CNMI != "1,1,0,1,0" || got.Storage != "SM" || got.StorageTotal != 50 || !got.CURC {
		t.Errorf("setup %+v", got)
	}
	if n := strings.Count(strings.Join(f.Commands(), "|"), "AT+CMGF=0"); n != 3 {
		t.Errorf("CMGF sent %d times, want 3 (two busy answers)", n)
	}
}

func TestSyncWithSilentStart(t *testing.T) {
	f := fake(baseScript())
	f.Once("AT", "")              // asleep
	f.Once("AT", "\r\nERROR\r\n") // garbage in the line buffer
	cfg := testCfg()
	cfg.RetryInterval = 30 * time.Millisecond
	open(t, f, cfg)
}

func TestNoAnswer(t *testing.T) {
	f := attest.New()
	f.SetHang(true)
	cfg := testCfg()
	_, err := New(tctx(t), f, cfg)
	if !errors.Is(err, ErrNoResponse) {
		t.Fatalf("got %v", err)
	}
}

func TestPIN(t *testing.T) {
	t.Run("entered once", func(t *testing.T) {
		s := baseScript()
		f := fake(s)
		f.Once("AT+CPIN?", reply("+CPIN: SIM PIN"))
		f.On(`AT+CPIN="1234"`, ok)
		cfg := testCfg()
		cfg.ID = "pin-ok"
		cfg.PIN = "1234"
		open(t, f, cfg)
		if n := strings.Count(strings.Join(f.Commands(), "|"), `AT+CPIN="1234"`); n != 1 {
			t.Errorf("PIN entered %d times", n)
		}
	})
	t.Run("rejected is never retried", func(t *testing.T) {
		cfg := testCfg()
		cfg.ID = "pin-bad-" + time.Now().Format(time.RFC3339Nano) // the refusal is remembered per process
		cfg.PIN = "0000"
		for attempt := range 2 {
			s := baseScript()
			s["AT+CPIN?"] = reply("+CPIN: SIM PIN")
			s[`AT+CPIN="0000"`] = "\r\n+CME ERROR: 16\r\n"
			f := fake(s)
			_, err := New(tctx(t), f, cfg)
			if !errors.Is(err, ErrPINRejected) {
				t.Fatalf("attempt %d: %v", attempt, err)
			}
			want := 1 - attempt // the second open must not try at all
			if n := strings.Count(strings.Join(f.Commands(), "|"), `AT+CPIN="0000"`); n != want {
				t.Errorf("attempt %d: PIN entered %d times, want %d", attempt, n, want)
			}
		}
	})
	t.Run("last attempt is not risked", func(t *testing.T) {
		s := baseScript()
		s["AT+CPIN?"] = reply("+CPIN: SIM PIN")
		s["AT+CPINR"] = reply("+CPINR: SIM PIN,1,3", "+CPINR: SIM PUK,10,10")
		f := fake(s)
		cfg := testCfg()
		cfg.PIN = "1234"
		_, err := New(tctx(t), f, cfg)
		if !errors.Is(err, ErrPINLastAttempt) {
			t.Fatalf("got %v", err)
		}
		if strings.Contains(strings.Join(f.Commands(), "|"), `AT+CPIN="1234"`) {
			t.Error("PIN entered on the last attempt")
		}
	})
	t.Run("vendor retry counters", func(t *testing.T) {
		for cmd, r := range map[string]string{
			"AT+CPINC?":     reply("+CPINC: 1,3,10,10"),
			`AT+QPINC="SC"`: reply(`+QPINC: "SC",1,10`),
			"AT^CPIN?":      reply("^CPIN: SIM PIN,1,10,1,10,3"),
			"AT+SPIC":       reply("+SPIC: 1,3,10,10"),
		} {
			s := baseScript()
			s["AT+CPIN?"] = reply("+CPIN: SIM PIN")
			s[cmd] = r
			cfg := testCfg()
			cfg.PIN = "1234"
			if _, err := New(tctx(t), fake(s), cfg); !errors.Is(err, ErrPINLastAttempt) {
				t.Errorf("%s: got %v", cmd, err)
			}
		}
	})
	for name, tc := range map[string]struct {
		reply string
		pin   string
		want  error
	}{
		"puk":        {reply("+CPIN: SIM PUK"), "1234", ErrPUKRequired},
		"no pin set": {reply("+CPIN: SIM PIN"), "", ErrPINRequired},
		"no sim":     {"\r\n+CME ERROR: 10\r\n", "", ErrNoSIM},
		"simcom":     {reply("+CPIN: NOT INSERTED"), "", ErrNoSIM},
	} {
		t.Run(name, func(t *testing.T) {
			s := baseScript()
			s["AT+CPIN?"] = tc.reply
			cfg := testCfg()
			cfg.PIN = tc.pin
			_, err := New(tctx(t), fake(s), cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v want %v", err, tc.want)
			}
		})
	}
	t.Run("wavecom READY without OK", func(t *testing.T) {
		s := baseScript()
		s["AT+CPIN?"] = "\r\n+CPIN: READY\r\n"
		open(t, fake(s), testCfg())
	})
}

func sentCommands(f *attest.Modem, from int) []string { return f.Commands()[from:] }

func TestSendParts(t *testing.T) {
	s := baseScript()
	f := fake(s)
	f.On("AT+CMGS=*", "\r\n> ")
	mr := 0
	var mu sync.Mutex
	f.Handle(func(cmd string) (string, bool) {
		if strings.HasPrefix(cmd, "0011") {
			mu.Lock()
			defer mu.Unlock()
			mr++
			return reply("+CMGS: " + itoa(mr)), true
		}
		return "", false
	})
	f.On("AT+CMMS=1", ok)
	m := open(t, f, testCfg())

	n := len(f.Commands())
	mrs, err := m.SendParts(tctx(t), []Part{{Len: 3, Hex: "0011AABB"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1}, mrs); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"AT+CMGS=3", "0011AABB"}, sentCommands(f, n)); diff != "" {
		t.Errorf("single part: one AT command (-want +got):\n%s", diff)
	}

	n = len(f.Commands())
	parts := []Part{{Len: 3, Hex: "0011AA01"}, {Len: 3, Hex: "0011AA02"}, {Len: 3, Hex: "0011AA03"}}
	mrs, err = m.SendParts(tctx(t), parts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 3, 4}, mrs); diff != "" {
		t.Error(diff)
	}
	want := []string{"AT+CMMS=1", "AT+CMGS=3", "0011AA01", "AT+CMGS=3", "0011AA02", "AT+CMGS=3", "0011AA03"}
	if diff := cmp.Diff(want, sentCommands(f, n)); diff != "" {
		t.Errorf("three parts (-want +got):\n%s", diff)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestSendCMMSRefusedOnce(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CMMS=1", "\r\n+CMS ERROR: 500\r\n")
	f.On("AT+CMGS=*", "\r\n> ")
	f.On("00*", reply("+CMGS: 9"))
	m := open(t, f, testCfg())
	for range 2 {
		if _, err := m.SendParts(tctx(t), []Part{{Len: 1, Hex: "0001"}, {Len: 1, Hex: "0002"}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(strings.Join(f.Commands(), "|"), "AT+CMMS=1"); n != 1 {
		t.Errorf("CMMS asked %d times", n)
	}
}

func TestSendPartError(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CMMS=1", ok)
	f.On("AT+CMGS=*", "\r\n> ")
	f.On("0001", reply("+CMGS: 7"))
	f.On("0002", "\r\n+CMS ERROR: 42\r\n")
	m := open(t, f, testCfg())
	mrs, err := m.SendParts(tctx(t), []Part{{Len: 1, Hex: "0001"}, {Len: 1, Hex: "0002"}, {Len: 1, Hex: "0003"}})
	var se *SendError
	var cms *at.CMSError
	if !errors.As(err, &se) || se.Part != 1 || !errors.As(err, &cms) || cms.Code != 42 {
		t.Fatalf("got %v", err)
	}
	if at.Classify(err) != at.ClassTemporary {
		t.Errorf("class %v", at.Classify(err))
	}
	if diff := cmp.Diff([]int{7}, mrs); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]int{7}, se.MRs); diff != "" {
		t.Error(diff)
	}
	if strings.Contains(strings.Join(f.Commands(), "|"), "0003") {
		t.Error("sent on after a failed part")
	}
	if _, err := m.SendParts(tctx(t), []Part{{Len: 1, Hex: "zz"}}); err == nil {
		t.Error("non-hex part accepted")
	}
}

func TestStoredMessages(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CMGL=4", reply(
		"junk line",
		"+CMGL: 0,1,,23", "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07",
		"+CMGL: 1, 0,\"\",5", "0001000000",
		"+CMGL: 17,3,35", "00010203",
		"+CMGL: 3,1,,147 0791AABBCCDDEEFF00112233445566778899",
	))
	f.On("AT+CMGR=2", reply("^RSSI:12", "+CMGR: 0,,20", "0791aabb"))
	f.On("AT+CMGR=5", ok)
	f.On("AT+CMGR=6", reply("+CMGR: 0,,0"))
	f.On("AT+CMGR=7", "\r\n+CMS ERROR: 321\r\n")
	f.On("AT+CMGD=2", ok)
	f.On(`AT+CPMS="SR"`, reply("+CPMS: 1,10,2,20,2,20"))
	f.On(`AT+CPMS="SM"`, reply("+CPMS: 2,20,2,20,2,20"))
	f.On("AT+CMGR=0", reply("+CMGR: ,,27", "0006D10B91"))
	m := open(t, f, testCfg())
	list, err := m.ListStored(tctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []Stored{
		{0, 1, 23, "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"},
		{1, 0, 5, "0001000000"},
		{17, 3, 35, "00010203"},
		{3, 1, 147, "0791AABBCCDDEEFF00112233445566778899"},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	got, err := m.ReadStored(tctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stored{2, 0, 20, "0791aabb"}, got); diff != "" {
		t.Error(diff)
	}
	for _, idx := range []int{5, 6, 7} {
		if _, err := m.ReadStored(tctx(t), idx); !errors.Is(err, ErrEmptySlot) {
			t.Errorf("index %d: %v", idx, err)
		}
	}
	if err := m.DeleteStored(tctx(t), 2); err != nil {
		t.Fatal(err)
	}
	sr, err := m.ReadStoredIn(tctx(t), "SR", 0)
	if err != nil || sr.PDU != "0006D10B91" || sr.Stat != -1 {
		t.Fatalf("SR read %+v %v", sr, err)
	}
	cmds := f.Commands()
	if diff := cmp.Diff([]string{`AT+CPMS="SR"`, "AT+CMGR=0", `AT+CPMS="SM"`}, cmds[len(cmds)-3:]); diff != "" {
		t.Errorf("storage switch (-want +got):\n%s", diff)
	}
}

func TestEvents(t *testing.T) {
	s := baseScript()
	s["AT+CSMS?"] = reply("+CSMS: 1,1,1,1")
	f := fake(s)
	f.On("AT+CNMA", ok)
	m := open(t, f, testCfg())
	if !m.Setup().AckRequired {
		t.Fatal("CSMS 1 not noticed")
	}
	f.Inject("\r\n+CMTI: \"SM\",3\r\n\r\n+CMT: ,24\r\n0791AA\r\n+CDS: 25\r\n0006F1\r\n+CDSI: \"SR\",0\r\n+CREG: 5,\"00C3\",\"0A1B\",2\r\n^RSSI:20\r\n")
	var got []Event
	for range 5 {
		ev := nextEvent(t, m)
		ev.Time = time.Time{}
		got = append(got, ev)
	}
	want := []Event{
		{Kind: EventMessageStored, Storage: "SM", Index: 3},
		{Kind: EventMessage, PDU: "0791AA"},
		{Kind: EventStatusReport, PDU: "0006F1"},
		{Kind: EventStatusReportStored, Storage: "SR", Index: 0},
		{Kind: EventRegistration, Registration: Registration{Stat: 5, State: "roaming", Registered: true, Roaming: true, Source: "CREG", LAC: "00C3", CI: "0A1B", AcT: 2}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if n := strings.Count(strings.Join(f.Commands(), "|"), "AT+CNMA"); n != 2 {
		t.Errorf("CNMA sent %d times, want 2 (+CMT and +CDS)", n)
	}
}

func TestPortLost(t *testing.T) {
	f := fake(baseScript())
	m := open(t, f, testCfg())
	f.Unplug()
	ev := nextEvent(t, m)
	if ev.Kind != EventPortLost || !errors.Is(ev.Err, at.ErrClosed) {
		t.Fatalf("got %+v", ev)
	}
	if _, ok := <-m.Events(); ok {
		t.Error("events not closed after port lost")
	}
	if _, err := m.Signal(tctx(t)); !errors.Is(err, at.ErrClosed) {
		t.Errorf("signal after unplug: %v", err)
	}
	if _, err := m.SendParts(tctx(t), []Part{{Len: 1, Hex: "0001"}}); at.Classify(err) != at.ClassModemFault {
		t.Errorf("send after unplug: %v", err)
	}
}

func TestResetReapplied(t *testing.T) {
	f := fake(baseScript())
	m := open(t, f, testCfg())
	n := len(f.Commands())
	// The modem rebooted: boot URC, echo on again, CNMI forgotten.
	f.On("AT+CNMI?", reply("+CNMI: 0,0,0,0,0"))
	f.SetEcho(true)
	f.Inject("\r\nRDY\r\n")
	ev := nextEvent(t, m)
	if ev.Kind != EventReset || ev.Err != nil {
		t.Fatalf("got %+v", ev)
	}
	cmds := strings.Join(sentCommands(f, n), "|")
	for _, c := range []string{"ATE0", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0"} {
		if !strings.Contains(cmds, c) {
			t.Errorf("re-init lacks %s: %s", c, cmds)
		}
	}
}

func TestBootHintWithoutReset(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CNMI?", reply("+CNMI: 2,1,0,1,0"))
	f.On("AT+CSQ", reply("+CSQ: 20,99"))
	f.On("AT+CESQ", "\r\nERROR\r\n")
	m := open(t, f, testCfg())
	f.Inject("\r\n^BOOT:35323129,0,0,0,26\r\n")
	// The check runs on the event goroutine; the next command queues behind
	// it, so once Signal returns the check's AT+CNMI? has been answered.
	if !f.WaitCommands(len(f.Commands())+1, guard) {
		t.Fatal("no check")
	}
	if _, err := m.Signal(tctx(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Count(strings.Join(f.Commands(), "|"), "ATE0") != 1 {
		t.Errorf("re-init although settings were intact: %q", f.Commands())
	}
	select {
	case ev := <-m.Events():
		t.Errorf("unexpected event %+v", ev)
	default:
	}
}

func TestIdentity(t *testing.T) {
	s := baseScript()
	s["AT+CGMI"] = reply(" WAVECOM MODEM")
	s["AT+CGMM"] = reply(" MULTIBAND  900E  1800 ")
	s["AT+CGMR"] = "\r\nERROR\r\n"
	s["AT+CGSN"] = reply("+CGSN: 867856033528498")
	s["AT+CIMI"] = reply("262011234567890")
	s["AT+CCID"] = "\r\n+CME ERROR: 4\r\n"
	s["AT+CRSM=176,12258,0,0,10"] = reply(`+CRSM: 144,0,"984902000012345678F9"`)
	s["AT+CNUM"] = reply(`+CNUM: "","+491701234567",145`)
	f := fake(s)
	m := open(t, f, testCfg())
	id, err := m.Identity(tctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Manufacturer: "WAVECOM MODEM", Model: "MULTIBAND 900E 1800", IMEI: "867856033528498",
		IMSI: "262011234567890", ICCID: "8994200000214365879", Number: "+491701234567"}
	if diff := cmp.Diff(want, id); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	n := len(f.Commands())
	if _, err := m.Identity(tctx(t)); err != nil || len(f.Commands()) != n {
		t.Errorf("identity not cached: %v", err)
	}
}

func TestICCIDVariants(t *testing.T) {
	for _, tc := range []struct{ vendor, cmd, reply string }{
		{"huawei", "AT^ICCID?", reply("^ICCID: 89860318640220133897")},
		{"Quectel", "AT+QCCID", reply("+QCCID: 8944500106181234567F")},
		{"SIMCOM_Ltd", "AT+CICCID", reply("+ICCID: 89860318640220133897")},
	} {
		t.Run(tc.vendor, func(t *testing.T) {
			s := baseScript()
			s["AT+CGMI"] = reply(tc.vendor)
			s[tc.cmd] = tc.reply
			m := open(t, fake(s), testCfg())
			id, err := m.Identity(tctx(t))
			if err != nil || id.ICCID == "" || strings.ContainsAny(id.ICCID, "Ff") {
				t.Fatalf("%+v %v", id, err)
			}
		})
	}
}

func TestSignalRegistrationOperator(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CSQ", reply("+CSQ: 20,99"))
	f.On("AT+CESQ", reply("+CESQ: 99,99,255,255,20,80"))
	f.On("AT+CREG?", reply("+CREG: 1,0"))
	f.On("AT+CEREG?", reply("+CEREG: 1,1"))
	f.On("AT+COPS?", reply(`+COPS: 0,0,"Telekom.de",7`))
	f.On("AT+CPMS?", reply(`+CPMS: "SM",3,20,"SM",3,20,"SM",3,20`))
	m := open(t, f, testCfg())
	sig, err := m.Signal(tctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if *sig.DBm != -73 || *sig.RSRP != -61 || *sig.RSRQ != -10 || sig.RSCP != nil {
		t.Errorf("signal %+v", sig)
	}
	r, err := m.Registration(tctx(t))
	if err != nil || !r.Registered || r.Source != "CEREG" || r.Roaming {
		t.Errorf("registration %+v %v", r, err)
	}
	op, err := m.Operator(tctx(t))
	if err != nil || op.Name != "Telekom.de" || op.AcT != 7 {
		t.Errorf("operator %+v %v", op, err)
	}
	st, err := m.Storage(tctx(t))
	if err != nil || st != (StorageStatus{"SM", 3, 20}) {
		t.Errorf("storage %+v %v", st, err)
	}
}

func TestUSSD(t *testing.T) {
	f := fake(baseScript())
	f.On(`AT+CUSD=1,"*100#",15`, ok+"\r\n+CUSD: 0,\"Balance: 5.00 EUR\",15\r\n")
	m := open(t, f, testCfg())
	r, err := m.USSD(tctx(t), "*100#")
	if err != nil || r.Text != "Balance: 5.00 EUR" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := m.USSD(tctx(t), `"bad`); err == nil {
		t.Error("bad code accepted")
	}
}

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string][][]string{
		`("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`: {{"ME", "MT", "SM", "SR"}, {"ME", "MT", "SM", "SR"}, {"ME", "MT", "SM", "SR"}},
		`"ME","MT","SM"`:                    {{"ME", "MT", "SM"}, {"ME", "MT", "SM"}, {"ME", "MT", "SM"}},
		`(("SM","BM","SR"),("SM"))`:         {{"SM", "BM", "SR"}, {"SM"}},
		`(ME", "SR"), ("ME", "SR"), ("ME")`: {{"ME", "SR"}, {"ME", "SR"}, {"ME"}},
		`(),(),()`:                          {nil, nil, nil},
		``:                                  nil,
	} {
		if diff := cmp.Diff(want, cpmsGroups(in)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
	if r, ok := parseRegistration("CREG", "002,001,\"18d8\",\"ffff\""); !ok || r.Stat != 1 || r.LAC != "18d8" {
		t.Errorf("iridium CREG: %+v", r)
	}
	if r, ok := parseRegistration("CEREG", "2,1, 1F00, 79D903 ,7"); !ok || r.CI != "79D903" || r.AcT != 7 {
		t.Errorf("spaced CEREG: %+v", r)
	}
	if !sameCNMI("2,1,0,0,0", "2,1") || sameCNMI("0,0,0,0,0", "2,1,0,1,0") {
		t.Error("sameCNMI")
	}
}

func TestRegistrationBareOK(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CREG?", ok) // seen on real devices: no +CREG line at all
	f.On("AT+CEREG?", "\r\nERROR\r\n")
	m := open(t, f, testCfg())
	start := time.Now()
	r, err := m.Registration(tctx(t))
	if err != nil || r.Stat != -1 || r.Registered {
		t.Fatalf("%+v %v", r, err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestSendIgnoresBareOK(t *testing.T) {
	f := fake(baseScript())
	f.On("AT+CMGS=*", "\r\n> ")
	// A late OK of an earlier command lands first; the real result follows.
	f.On("0001", "\r\nOK\r\n\r\n+CMGS: 12\r\n\r\nOK\r\n")
	m := open(t, f, testCfg())
	mrs, err := m.SendParts(tctx(t), []Part{{Len: 1, Hex: "0001"}})
	if err != nil || len(mrs) != 1 || mrs[0] != 12 {
		t.Fatalf("%v %v", mrs, err)
	}
}

func TestNoSIMOK(t *testing.T) {
	s := baseScript()
	s["AT+CPIN?"] = "\r\n+CME ERROR: 10\r\n"
	f := fake(s)
	cfg := testCfg()
	cfg.NoSIMOK = true
	m := open(t, f, cfg)
	if err := m.Setup().SIMErr; !errors.Is(err, ErrNoSIM) {
		t.Fatalf("SIMErr %v", err)
	}
	if m.Setup().Manufacturer != "SIMCOM_Ltd" {
		t.Errorf("setup %+v", m.Setup())
	}
	if strings.Contains(strings.Join(f.Commands(), "|"), "AT+CMGF") {
		t.Error("SMS settings applied without a SIM")
	}
}
