package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"smsgw/modem/pdu"
	"smsgw/modem/sim"
)

func runModemCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(append([]string{"modem"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func modemSimNet(t *testing.T) *sim.Network {
	t.Helper()
	n := sim.NewNetwork(sim.NetworkOptions{})
	t.Cleanup(func() { n.Close(context.Background()) })
	return n
}

func modemSimAdd(t *testing.T, n *sim.Network, o sim.Options) *sim.Modem {
	t.Helper()
	o.Dir = t.TempDir()
	m, err := n.AddModem(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModemProbeEveryProfile(t *testing.T) {
	for _, prof := range sim.Profiles() {
		t.Run(prof, func(t *testing.T) {
			n := modemSimNet(t)
			m := modemSimAdd(t, n, sim.Options{Profile: prof, PIN: "2468"})
			out, errs, code := runModemCLI("probe", m.Path(), "--json", "--pin", "2468")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var r probeReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if r.Identity.IMEI != m.IMEI() || r.Identity.ICCID != m.ICCID() || r.Identity.IMSI != m.IMSI() {
				t.Errorf("identity %+v", r.Identity)
			}
			if r.SIM != "READY" || !r.Registration.Registered || r.Operator.Name == "" || r.Signal.DBm == nil || r.Storage == nil {
				t.Errorf("report %s", out)
			}
			if strings.Contains(errs, "2468") {
				t.Errorf("PIN leaked to stderr: %s", errs)
			}
		})
	}
}

func TestModemProbeText(t *testing.T) {
	n := modemSimNet(t)
	m := modemSimAdd(t, n, sim.Options{Profile: "simcom-sim800"})
	out, errs, code := runModemCLI("probe", m.Path())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"manufacturer  SIMCOM_Ltd", "imei          " + m.IMEI(), "sim           READY", "registration  home", "operator      SimNet", "signal        -73 dBm"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestModemProbeLockedSIM(t *testing.T) {
	n := modemSimNet(t)
	m := modemSimAdd(t, n, sim.Options{PIN: "2468"})
	out, errs, code := runModemCLI("probe", m.Path(), "--json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r probeReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if r.Identity.IMEI != m.IMEI() || r.SIM != "SIM PIN" || !strings.Contains(r.Errors["sim"], "PIN required") {
		t.Errorf("report %s", out)
	}
}

func TestModemSend(t *testing.T) {
	for _, prof := range []string{"generic", "huawei-e173", "quectel-ec25", "wavecom"} {
		t.Run(prof, func(t *testing.T) {
			n := modemSimNet(t)
			a := modemSimAdd(t, n, sim.Options{Profile: prof})
			b := modemSimAdd(t, n, sim.Options{})
			text := strings.Repeat("Καλημέρα κόσμε 🌍 ", 8) // UCS-2 with surrogates: 3 parts
			out, errs, code := runModemCLI("send", a.Path(), "--to", b.Number(), "--text", text, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var r sendReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if r.Parts != 3 || len(r.MRs) != 3 {
				t.Fatalf("report %+v", r)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sent, err := n.WaitSubmitted(ctx, 3)
			if err != nil {
				t.Fatal(err)
			}
			var msgs []pdu.Message
			for i, s := range sent {
				if s.MR != r.MRs[i] || s.To != b.Number() {
					t.Errorf("part %d: MR %d to %s, CLI said %d", i, s.MR, s.To, r.MRs[i])
				}
				msgs = append(msgs, s.Submit)
			}
			c, err := pdu.JoinContent(msgs)
			if err != nil || c.Text != text {
				t.Errorf("joined %q %v", c.Text, err)
			}
		})
	}
}

func TestModemSendFailures(t *testing.T) {
	n := modemSimNet(t)
	a := modemSimAdd(t, n, sim.Options{})
	a.FailSubmits(1, 1)
	_, errs, code := runModemCLI("send", a.Path(), "--to", "+4915112345678", "--text", "x")
	if code != exitFailed || !strings.Contains(errs, "+CMS ERROR: 1 (unassigned (unallocated) number)") || !strings.Contains(errs, "permanent") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if _, errs, code := runModemCLI("send", a.Path(), "--to", "+49151"); code != 2 {
		t.Errorf("missing --text: exit %d %s", code, errs)
	}
	if _, errs, code := runModemCLI("probe", t.TempDir()+"/nope"); code != 1 || !strings.Contains(errs, "no such") && !strings.Contains(errs, "not found") {
		t.Errorf("missing port: exit %d %s", code, errs)
	}
	if _, _, code := runModemCLI("frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d", code)
	}
}
