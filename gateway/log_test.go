package gateway

import (
	"strings"
	"testing"
)

func TestJournalLogger(t *testing.T) {
	var sb strings.Builder
	log, err := NewLogger(LogConfig{Level: "debug", Format: "journal"}, &sb)
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
	log, err := NewLogger(LogConfig{Level: "warn", Format: "text"}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(sb.String(), "hidden") || !strings.Contains(sb.String(), "shown") {
		t.Errorf("got %q", sb.String())
	}
	if _, err := NewLogger(LogConfig{Level: "loud"}, &sb); err == nil {
		t.Error("bad level accepted")
	}
}
