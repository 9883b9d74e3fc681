package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"smsgw/api"
)

// An undecodable message has no sender or text: the listing shows its
// PDU and the decoder's error instead.
func TestPrintInboundUndecodable(t *testing.T) {
	var b bytes.Buffer
	printInbound(&b, api.Inbound{ID: "12", Modem: "office", ReceivedAt: time.Now(), Undecodable: true,
		PDU: "00040B914497", Error: "pdu: TP-OA at offset 2: truncated"}, false)
	out := b.String()
	for _, want := range []string{"#12 [undecodable]", "\n    00040B914497\n", "\n    pdu: TP-OA at offset 2: truncated\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A status report with the time-zone octet 0xC2 decodes as +08:00 and says
// so in defects; a clean PDU has no defects key at all.
func TestPDUDecodeDefects(t *testing.T) {
	out, errs, code := runCLI(t, "pdu", "decode", "00062A0B914497214365F7620122210000C2620122210010C200")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		SCTS    *string  `json:"scts"`
		Defects []string `json:"defects"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.SCTS == nil || *got.SCTS != "2026-10-22T12:00:00+08:00" || len(got.Defects) != 2 ||
		got.Defects[0] != "TP-SCTS: time zone octet 0xC2 is not decimal, read as +08:00" {
		t.Errorf("decoded %s", out)
	}
	out, _, _ = runCLI(t, "pdu", "decode", "0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
	if strings.Contains(out, "defects") {
		t.Errorf("clean PDU with defects: %s", out)
	}
}
