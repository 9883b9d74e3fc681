package httpd_test

import (
	"smsgw"
	"smsgw/api"
	"smsgw/httpd"
	"strings"
	"testing"
)

func TestHealthReady(t *testing.T) {
	e := newEnv(t, api.Options{Version: "1.2.3"})
	r := e.Do("GET", "/healthz", nil)
	e.Want(r, 200)
	var hl httpd.Health
	r.JSON(t, &hl)
	if hl.Status != "ok" || hl.Version != "1.2.3" {
		t.Fatalf("%+v", hl)
	}
	r = e.Do("GET", "/readyz", nil)
	e.Want(r, 200)
	// No registered modem: not ready.
	e.Modems.Set(smsgw.ModemStatus{ID: "m1", State: "offline", Registration: "searching"})
	r = e.Do("GET", "/readyz", nil)
	e.Want(r, 503)
	r.JSON(t, &hl)
	if hl.Status != "not_ready" || !strings.HasPrefix(hl.Checks["modems"], "fail") {
		t.Fatalf("%+v", hl)
	}
	// Database down: not ready either.
	e.Modems.Set(smsgw.ModemStatus{ID: "m1", State: "ready", Registration: "roaming"})
	e.Want(e.Do("GET", "/readyz", nil), 200)
	e.Q.Close(t.Context())
	e.Want(e.Do("GET", "/readyz", nil), 503)
	e.Want(e.Do("GET", "/healthz", nil), 200)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, api.Options{})
	e.Want(e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":"x"}`), 202)
	e.Want(e.Do("POST", "/v1/messages", `{"to":"+4915112345678","text":""}`), 400)
	r := e.Do("GET", "/metrics", nil)
	e.Want(r, 200)
	body := string(r.Body)
	for _, want := range []string{
		`smsgw_queue_messages{state="queued"} 1`,
		`smsgw_modem_signal_dbm{modem="m1"} -71`,
		`smsgw_modem_registered{modem="m1",registration="home"} 1`,
		`smsgw_modem_up{modem="m2"} 0`,
		`smsgw_modem_send_failures_total{code="38",modem="m1"} 1`,
		`smsgw_modem_messages_sent_total{modem="m1"} 3`,
		`smsgw_http_requests_total{code="202",method="POST",route="/v1/messages"} 1`,
		`smsgw_http_requests_total{code="400",method="POST",route="/v1/messages"} 1`,
		`smsgw_store_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, leak := range []string{"4915112345678", "4915100000001"} {
		if strings.Contains(body, leak) {
			t.Errorf("a phone number is in the metrics")
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "# TYPE ") && !strings.HasPrefix(line, "# TYPE smsgw_") {
			t.Errorf("metric without the smsgw_ prefix: %s", line)
		}
	}
}
