package config

import (
	"strings"
	"testing"
	"time"
)

func TestHTTPSecurityConfig(t *testing.T) {
	c, err := Parse("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Security.KannelGet != KannelGetLocal || c.Limits.Recipients != 10000 || c.Limits.EventStreams != 64 ||
		c.Limits.StreamWriteTimeout.Duration != 30*time.Second || c.Callbacks.AllowPrivate || c.Log.Content {
		t.Fatalf("defaults: %+v %+v %+v", c.Security, c.Limits, c.Callbacks)
	}
	c, err = Parse(`
[security]
allowed_hosts = ["gw.lan", "gw.lan:8787"]
kannel_get = "never"
[callbacks]
allow_hosts = ["127.0.0.1", "10.0.0.0/8", "hooks.lan"]
[limits]
recipients = 50
event_streams = 2
stream_write_timeout = "5s"
[log]
content = true
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Security.KannelGet != "never" || c.Limits.Recipients != 50 || c.Limits.EventStreams != 2 || !c.Log.Content {
		t.Fatalf("%+v %+v", c.Security, c.Limits)
	}
	if err := c.Callbacks.Policy().Check("http://10.1.2.3/x"); err != nil {
		t.Fatal(err)
	}
	for key, text := range map[string]string{
		"security.kannel_get":         "[security]\nkannel_get = \"always\"",
		"security.allowed_hosts[0]":   "[security]\nallowed_hosts = [\"http://x/\"]",
		"callbacks.allow_hosts":       "[callbacks]\nallow_hosts = [\"http://x/\"]",
		"limits.recipients":           "[limits]\nrecipients = -1",
		"limits.body_bytes":           "[limits]\nbody_bytes = 10",
		"limits.stream_write_timeout": "[limits]\nstream_write_timeout = \"1ms\"",
		"stream_write_timeout":        "[limits]\nstream_write_timeout = 30",
	} {
		if _, err := Parse(text); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v", key, err)
		}
	}
}
