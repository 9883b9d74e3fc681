package at

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is an emitter that records tokens; a prompt is "<PROMPT>".
type recorder struct {
	want bool
	toks []string
}

func (r *recorder) wantPrompt() bool { return r.want }
func (r *recorder) prompt()          { r.toks = append(r.toks, "<PROMPT>"); r.want = false }
func (r *recorder) line(l string)    { r.toks = append(r.toks, l) }

func TestSplitter(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		prompt bool
		want   []string
	}{
		{"crlf", "\r\nOK\r\n", false, []string{"OK"}},
		{"mixed ends", "A\rB\nC\r\r\nD\n\rE", false, []string{"A", "B", "C", "D"}},
		{"prompt standard", "AT+CMGS=5\r\r\n> ", true, []string{"AT+CMGS=5", "<PROMPT>"}},
		{"prompt then echoed pdu", "\r\n> 0011AA\x1a\r\n+CMGS: 3\r\n", true, []string{"<PROMPT>", "0011AA", "+CMGS: 3"}},
		{"bare prompt line", "\r\n>\r\n", true, []string{"<PROMPT>"}},
		{"gt not awaited", "\r\n> \r\n", false, []string{">"}},
		{"noise before prompt", "\r\n~~> ", true, []string{"~~", "<PROMPT>"}},
		{"controls dropped", "O\x00K\x1b\r\n", false, []string{"OK"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s splitter
			r := &recorder{want: tc.prompt}
			s.feed([]byte(tc.in), r)
			if diff := cmp.Diff(tc.want, r.toks); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitterBoundsLines(t *testing.T) {
	var s splitter
	r := &recorder{}
	s.feed([]byte(strings.Repeat("A", 3*maxLine)), r)
	if len(r.toks) != 3 {
		t.Fatalf("%d tokens", len(r.toks))
	}
}

func TestResponsePrefix(t *testing.T) {
	for cmd, want := range map[string]string{
		"AT+CMGS=23": "+CMGS", "AT^ICCID?": "^ICCID", "ATE0": "", "AT": "", "at+csq": "+csq",
		"AT#CCID": "#CCID", "AT+CPMS=?": "+CPMS", "AT+": "",
	} {
		if got := responsePrefix(cmd); got != want {
			t.Errorf("%q: got %q want %q", cmd, got, want)
		}
	}
}

func TestParseURC(t *testing.T) {
	for line, want := range map[string]string{
		"+CMTI: \"SM\",3": "+CMTI", "+CMT: ,24": "+CMT", "+CDS:25": "+CDS", "+CDSI: \"SR\",0": "+CDSI",
		"^RSSI:20": "^RSSI", "RDY": "RDY", "Call Ready": "Call Ready", "SMS Ready": "SMS Ready",
		"+QIND: SMS DONE": "+QIND", "^BOOT:35323129,0,0,0,26": "^BOOT", "+PACSP0": "+PACSP0",
		"+CMGS: 3": "", "OK": "", "+CMTIX: 1": "", "RINGO": "",
	} {
		u, ok := parseURC(line)
		if ok != (want != "") || u.Name != want {
			t.Errorf("%q: got %q,%v want %q", line, u.Name, ok, want)
		}
	}
}

// FuzzSplitter checks the line splitter and the line classifiers on
// arbitrary bytes: no panic, lines are clean, and how the bytes are cut into
// reads does not change the result.
func FuzzSplitter(f *testing.F) {
	for _, seed := range []string{
		"\r\nOK\r\n", "AT+CMGS=23\r\r\n> ", "\r\n>\r\n", "\n> 0011\x1a\r\n+CMGS: 1\r\nOK\r\n",
		"\r\n^RSSI: 20\r\n+CMGR: 0,,20\r\n0791AA\r\n\r\nOK\r\n", "+CMT: ,24\r\n0791\r\n",
		"+CMS ERROR: unknown error\r\n", "+CME ERROR: 16\r\n", "\x00\xff\xfe garbage\r\r\r\n",
		"+CREG: 2,1,  0 5, 2715\r\n", "^BOOT:35323129,0,0,0,26\r\n",
	} {
		f.Add([]byte(seed), uint8(3), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8, prompt bool) {
		var whole splitter
		a := &recorder{want: prompt}
		whole.feed(in, a)
		var parts splitter
		b := &recorder{want: prompt}
		step := int(cut%16) + 1
		for i := 0; i < len(in); i += step {
			parts.feed(in[i:min(i+step, len(in))], b)
		}
		if diff := cmp.Diff(a.toks, b.toks); diff != "" {
			t.Fatalf("chunking changed tokens (-whole +chunked):\n%s", diff)
		}
		for _, l := range a.toks {
			if l == "" || strings.ContainsAny(l, "\r\n\x00\x1a") || l != strings.TrimSpace(l) || len(l) > maxLine {
				t.Fatalf("bad line %q", l)
			}
			u, isURC := parseURC(l)
			if isURC && (u.Name == "" || !strings.EqualFold(l[:len(u.Name)], u.Name)) {
				t.Fatalf("URC %+v from %q", u, l)
			}
			if err, ok := parseFinal(l); ok && err != nil {
				_ = err.Error()
				_ = Classify(err)
			}
			_ = responsePrefix(l)
			_ = isHexLine(l)
		}
	})
}

type nopEmitter struct{}

func (nopEmitter) wantPrompt() bool { return false }
func (nopEmitter) prompt()          {}
func (nopEmitter) line(string)      {}

// BenchmarkSplitter measures line splitting of a typical CMGL reply.
func BenchmarkSplitter(b *testing.B) {
	in := []byte("\r\n+CMGL: 1,0,,23\r\n07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\r\n^RSSI:20\r\n\r\nOK\r\n")
	var s splitter
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s.feed(in, nopEmitter{})
	}
}
