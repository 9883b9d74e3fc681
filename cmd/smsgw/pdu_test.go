package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"smsgw/modem/pdu"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestPDUDecodeDeliver(t *testing.T) {
	// SMS-DELIVER from "SMS and the PDU format" (dreamfabric.com).
	out, errs, code := runCLI(t, "pdu", "decode", "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{
		"type": "deliver", "smsc": "+27381000015",
		"address": map[string]any{"number": "27838890001", "ton": 4.0, "npi": 8.0},
		"text":    "hellohello", "data": nil, "coding": "gsm7", "class": nil,
		"udh": []any{}, "concat": nil, "scts": "1999-03-29T15:16:59+02:00", "discharge_time": nil,
		"validity": nil, "srr": false, "mr": nil, "status": nil, "pid": 0.0, "dcs": 0.0,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("-want +got\n%s", d)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
}

func TestPDUDecodeStatusReportTPDU(t *testing.T) {
	// Built by hand after TS 23.040 clause 9.2.2.3: MR 0x2A, RA +491711234567,
	// SCTS/DT 2026-11-21 23:00:00/23:00:05 +01:00, TP-ST 0x46 (expired).
	sr := &pdu.StatusReport{MR: 0x2A, Status: pdu.StatusExpired}
	sr.Recipient, _ = pdu.ParseAddress("+491711234567")
	tpdu, err := pdu.EncodeTPDU(sr)
	if err != nil {
		t.Fatal(err)
	}
	h := strings.ToUpper(hexString(tpdu))
	out, errs, code := runCLI(t, "pdu", "decode", "--tpdu", h)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Type    string
		SMSC    *string
		MR      int
		Address struct{ Number string }
		Status  struct {
			Code    int
			Meaning string
		}
		DischargeTime string `json:"discharge_time"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "status-report" || got.SMSC != nil || got.MR != 42 || got.Address.Number != "+491711234567" ||
		got.Status.Code != 0x46 || got.Status.Meaning != "SM validity period expired" || got.DischargeTime != "2000-01-01T00:00:00Z" {
		t.Fatalf("got %+v from %s", got, out)
	}
	// Flag after the argument works too.
	if _, errs, code := runCLI(t, "pdu", "decode", h, "--tpdu"); code != 0 {
		t.Fatalf("flag after HEX: exit %d %s", code, errs)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

func TestPDUEncodeLines(t *testing.T) {
	text := strings.Repeat("x", 200)
	out, errs, code := runCLI(t, "pdu", "encode", "--to", "+491234567", "--text", text, "--udh-ref", "7", "--srr", "--validity", "1d", "--smsc", "+4917100000", "--class0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 parts, got %q", out)
	}
	var msgs []pdu.Message
	for i, l := range lines {
		n, h, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("line %q", l)
		}
		m, err := pdu.DecodeHex(h)
		if err != nil {
			t.Fatal(err)
		}
		tp, _ := pdu.EncodeTPDU(m)
		if got, _ := strconv.Atoi(n); got != len(tp) {
			t.Fatalf("line %d: length %s, TPDU has %d octets", i, n, len(tp))
		}
		s := m.(*pdu.Submit)
		c, _ := pdu.ConcatOf(s)
		cl, _ := s.DCS.Class()
		if !s.StatusReportRequest || s.SMSC.String() != "+4917100000" || c.Ref != 7 || c.Seq != i+1 || s.Validity.Duration != 24*60*60e9 || cl != 0 {
			t.Fatalf("part %d: %+v %+v", i, s, c)
		}
		msgs = append(msgs, m)
	}
	got, err := pdu.JoinContent(msgs)
	if err != nil || got.Text != text {
		t.Fatalf("joined %q %v", got.Text, err)
	}
	// No SMSC: the PDU starts with 00.
	out, _, _ = runCLI(t, "pdu", "encode", "--to", "123", "--text", "hi")
	if !strings.HasPrefix(out, "11 0001000381") {
		t.Fatalf("no-SMSC form %q", out)
	}
}

func TestPDUErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no subcommand", []string{"pdu"}, 2, "usage"},
		{"bad hex", []string{"pdu", "decode", "0G"}, 1, "hex"},
		{"truncated", []string{"pdu", "decode", "0011000B9164"}, 1, "TP-DA"},
		{"two args", []string{"pdu", "decode", "00", "11"}, 2, "exactly one"},
		{"compressed", []string{"pdu", "decode", "--tpdu", "0100038121F300200141"}, 1, "compressed"},
		{"missing text", []string{"pdu", "encode", "--to", "+1"}, 2, "--text"},
		{"bad number", []string{"pdu", "encode", "--to", "+12ab", "--text", "x"}, 1, "recipient"},
		{"bad validity", []string{"pdu", "encode", "--to", "1", "--text", "x", "--validity", "soon"}, 1, "validity"},
		{"bad ref", []string{"pdu", "encode", "--to", "1", "--text", "x", "--udh-ref", "70000"}, 1, "udh-ref"},
		{"gsm7 forced", []string{"pdu", "encode", "--to", "1", "--text", "Привет", "--coding", "gsm7"}, 1, "not in the GSM 7-bit alphabet"},
		{"unknown flag", []string{"pdu", "encode", "--bogus"}, 2, "bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if out != "" && tc.code != 0 {
				t.Fatalf("stdout %q on error", out)
			}
			if tc.code == 1 && strings.Count(errs, "\n") != 1 {
				t.Fatalf("want a one-line error, got %q", errs)
			}
			if !strings.Contains(errs, tc.msg) {
				t.Fatalf("stderr %q lacks %q", errs, tc.msg)
			}
		})
	}
}
