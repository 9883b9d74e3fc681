package logging

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestJournalLogger(t *testing.T) {
	var sb strings.Builder
	log, err := New(Options{Level: "debug", Format: "journal"}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	log = log.With("modem", "office")
	log.Debug("probe", "port", "/dev/ttyUSB2")
	log.Info("modem ready")
	log.Warn("signal weak", "dbm", -109)
	log.Error("port lost")
	want := "<7>msg=probe modem=office port=/dev/ttyUSB2\n" +
		"<6>msg=\"modem ready\" modem=office\n" +
		"<4>msg=\"signal weak\" modem=office dbm=-109\n" +
		"<3>msg=\"port lost\" modem=office\n"
	if sb.String() != want {
		t.Errorf("got\n%s\nwant\n%s", sb.String(), want)
	}
}

func TestLoggerLevels(t *testing.T) {
	var sb strings.Builder
	log, err := New(Options{Level: "warn", Format: "text"}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(sb.String(), "hidden") || !strings.Contains(sb.String(), "shown") {
		t.Errorf("got %q", sb.String())
	}
	if _, err := New(Options{Level: "loud"}, &sb); err == nil {
		t.Error("bad level accepted")
	}
}

// TestLogScrubsSecretsAndContent: URL credentials and queries never reach
// the log, nor texts, PDUs and numbers unless [log] content is on.
func TestLogScrubsSecretsAndContent(t *testing.T) {
	uerr := &url.Error{Op: "Post", URL: "https://user:pw@hooks.example/in?token=s3cret", Err: errors.New("connection refused")}
	for _, format := range []string{"text", "json", "journal"} {
		var sb strings.Builder
		log, err := New(Options{Level: "debug", Format: format}, &sb)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("delivery failed", "err", fmt.Errorf("webhook: %w", uerr), "url", "https://hooks.example/in?token=s3cret")
		log.Info("posting to https://hooks.example/in?token=s3cret")
		log.Error("unreadable +CMT PDU", "pdu", "0791947106004034040D91", "text", "your code is 424242", "from", "+4915112345678")
		log.With("line", "+CMT: ,24 0791...").Debug("at: line not understood")
		log.Debug("at: discarded OK", "dropped", 3)
		out := sb.String()
		for _, secret := range []string{"s3cret", "pw@", "0791947106004034040D91", "424242", "+4915112345678", "+CMT: ,24"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log holds %q:\n%s", format, secret, out)
			}
		}
		if !strings.Contains(out, "hooks.example/in?...") || !strings.Contains(out, "[content]") || !(strings.Contains(out, "dropped=3") || strings.Contains(out, `"dropped":3`)) {
			t.Errorf("%s log lost what it may keep:\n%s", format, out)
		}
	}
	var sb strings.Builder
	log, _ := New(Options{Level: "info", Format: "text", Content: true}, &sb)
	log.Info("received", "text", "your code is 424242", "url", "https://x.example/?k=s3cret")
	if !strings.Contains(sb.String(), "424242") || strings.Contains(sb.String(), "s3cret") {
		t.Errorf("content = true: %s", sb.String())
	}
}
