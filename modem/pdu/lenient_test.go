package pdu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func defectsOf(m Message) []string {
	switch v := m.(type) {
	case *Submit:
		return v.Defects
	case *Deliver:
		return v.Defects
	case *StatusReport:
		return v.Defects
	}
	return nil
}

// Odd PDUs real devices send: decoded as other decoders read them, with
// what was odd listed in Defects. The sender and text below are the same
// in every DELIVER: +44791234567, "YES" (GSM 7-bit D9E214).
var lenientVectors = []struct {
	name, hex string
	text      string    // DELIVER text, or "" for a status report
	scts      time.Time // zero: no time stamp could be read
	defect    string    // a substring of one defect
}{
	{
		// A status report from a real modem: time-zone octet 0xC2 in
		// TP-SCTS and TP-DT; gammu reads it as +08:00.
		name: "status report zone 0xC2", hex: "00062A0B914497214365F7620122210000C2620122210010C200",
		scts:   time.Date(2026, 10, 22, 12, 0, 0, 0, time.FixedZone("", 8*3600)),
		defect: "TP-SCTS: time zone octet 0xC2 is not decimal, read as +08:00",
	},
	{
		name: "seconds 0xA0", hex: "00040B914497214365F700006201222100A00003D9E214", text: "YES",
		scts:   time.Date(2026, 10, 22, 12, 0, 10, 0, time.UTC),
		defect: "TP-SCTS: octet 5 (0xA0) is not two decimal digits, read as 10",
	},
	{
		name: "month 23", hex: "00040B914497214365F7000062D1222100000003D9E214", text: "YES",
		defect: "is not a date, time stamp left empty",
	},
	{
		name: "user data two octets short", hex: "00040B914497214365F700006201222100000005D9E214", text: "YES",
		scts:   time.Date(2026, 10, 22, 12, 0, 0, 0, time.UTC),
		defect: "TP-UD: TP-UDL announces 5 septets in 5 octets, 3 present; read 3 septets",
	},
	{
		// UDHL 5 holding IE 0x00 of 4 octets (6 needed); UCS-2 "AB" after.
		name: "header element overruns", hex: "00440B914497214365F7000862012221000000" + "0A" + "050004010201" + "00410042", text: "AB",
		scts:   time.Date(2026, 10, 22, 12, 0, 0, 0, time.UTC),
		defect: "TP-UDH: element 0x00 of 4 octets runs past the 5-octet header, ignored",
	},
	{
		name: "reserved alphabet", hex: "00040B914497214365F7000C6201222100000003D9E214", text: "YES",
		scts:   time.Date(2026, 10, 22, 12, 0, 0, 0, time.UTC),
		defect: "TP-DCS: 0x0C names the reserved alphabet, read as GSM 7-bit",
	},
	{
		name: "reserved group 0x8X", hex: "00040B914497214365F700806201222100000003D9E214", text: "YES",
		scts:   time.Date(2026, 10, 22, 12, 0, 0, 0, time.UTC),
		defect: "TP-DCS: 0x80 is in a reserved coding group",
	},
}

func TestLenientVectors(t *testing.T) {
	for _, tc := range lenientVectors {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeHex(tc.hex)
			if err != nil {
				t.Fatalf("DecodeHex: %v", err)
			}
			var scts time.Time
			switch v := m.(type) {
			case *Deliver:
				if v.From.String() != "+44791234567" {
					t.Errorf("from %q", v.From.String())
				}
				c, err := v.Content()
				if err != nil || c.Text != tc.text {
					t.Errorf("text %q, %v; want %q", c.Text, err, tc.text)
				}
				scts = v.SCTS
			case *StatusReport:
				if v.MR != 0x2A || v.Recipient.String() != "+44791234567" || !v.Status.Delivered() {
					t.Errorf("report %+v", v)
				}
				scts = v.SCTS
			default:
				t.Fatalf("decoded a %v", m.Type())
			}
			if !scts.Equal(tc.scts) || scts.IsZero() != tc.scts.IsZero() {
				t.Errorf("SCTS %v, want %v", scts, tc.scts)
			}
			if _, off := scts.Zone(); !tc.scts.IsZero() {
				if _, want := tc.scts.Zone(); off != want {
					t.Errorf("zone offset %d, want %d", off, want)
				}
			}
			d := defectsOf(m)
			if !containsSub(d, tc.defect) {
				t.Errorf("defects %q lack %q", d, tc.defect)
			}
			checkStable(t, m)
		})
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Clean PDUs carry no defects.
func TestNoDefectsOnCleanPDUs(t *testing.T) {
	for _, s := range fuzzSeeds {
		m, err := DecodeHex(s)
		if err != nil {
			t.Fatal(err)
		}
		if d := defectsOf(m); d != nil {
			t.Errorf("%s: defects %q", s[:20], d)
		}
	}
}

// What no decoder can read stays an error naming the field.
func TestStillRejected(t *testing.T) {
	for _, tc := range []struct{ name, hex, field string }{
		{"address cut", "00040B914497", "TP-OA"},
		{"time stamp cut", "00040B914497214365F70000620122", "TP-SCTS"},
		{"header cut with the user data", "00440B914497214365F7000862012221000000" + "0A" + "0500", "TP-UD"},
		{"udl beyond 140 octets", "00040B914497214365F7000462012221000000" + "8D" + "41", "TP-UDL"},
		{"header longer than the user data", "00440B914497214365F7000462012221000000" + "02" + "0500", "TP-UDHL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeHex(tc.hex)
			var de *DecodeError
			if !errors.As(err, &de) || de.Field != tc.field {
				t.Fatalf("err = %v, want a DecodeError on %s", err, tc.field)
			}
		})
	}
}

// gammu reads the odd time stamps the same way (its debug log keeps the
// zone that python-gammu's datetimes drop).
func TestLenientTimesMatchGammu(t *testing.T) {
	requireGammu(t)
	var in bytes.Buffer
	var cases []int
	for i, tc := range lenientVectors {
		if strings.Contains(tc.defect, "TP-SCTS") {
			in.WriteString(tc.hex + "\n")
			cases = append(cases, i)
		}
	}
	cmd := exec.Command(gammuPython, "testdata/gammu_times.py")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gammu helper: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for _, i := range cases {
		tc := lenientVectors[i]
		if !sc.Scan() {
			t.Fatalf("gammu helper ended before %s", tc.name)
		}
		var times []string
		if err := json.Unmarshal(sc.Bytes(), &times); err != nil {
			t.Fatalf("%s: gammu answered %s", tc.name, sc.Text())
		}
		m, _ := DecodeHex(tc.hex)
		var ours []time.Time
		switch v := m.(type) {
		case *Deliver:
			ours = []time.Time{v.SCTS}
		case *StatusReport:
			ours = []time.Time{v.SCTS, v.DischargeTime}
		}
		var want []string
		for _, o := range ours {
			if !o.IsZero() {
				want = append(want, o.Format("Mon Jan _2 15:04:05 2006 -0700"))
			}
		}
		// gammu logs a date it rejects too; compare only the ones it took.
		if tc.scts.IsZero() {
			continue
		}
		if strings.Join(times, "|") != strings.Join(want, "|") {
			t.Errorf("%s: gammu %q, we %q", tc.name, times, want)
		}
	}
}
