package campaign

import (
	"errors"
	"strings"
	"testing"

	"smsgw/modem/pdu"
)

func TestTemplateRender(t *testing.T) {
	tpl, err := ParseTemplate("Hi {{ name|there }}, your {{fields.plan}} plan ({{number}}) in {{fields.city|}}!")
	if err != nil {
		t.Fatal(err)
	}
	if !tpl.Personal() {
		t.Fatal("Personal() = false")
	}
	got, err := tpl.Render(Recipient{Number: "+4915112345678", Name: "Anna", Fields: map[string]string{"plan": "gold", "city": "Bonn"}})
	if err != nil || got != "Hi Anna, your gold plan (+4915112345678) in Bonn!" {
		t.Fatalf("render %q, %v", got, err)
	}
	got, err = tpl.Render(Recipient{Number: "+1", Fields: map[string]string{"plan": "basic"}})
	if err != nil || got != "Hi there, your basic plan (+1) in !" {
		t.Fatalf("defaults %q, %v", got, err)
	}
	_, err = tpl.Render(Recipient{Number: "+1", Name: "Bob"})
	var me *MissingError
	if !errors.As(err, &me) || me.Placeholder != "fields.plan" {
		t.Fatalf("missing field: %v", err)
	}
	plain, _ := ParseTemplate("no placeholders {here}")
	if s, err := plain.Render(Recipient{}); err != nil || s != "no placeholders {here}" || plain.Personal() {
		t.Fatalf("plain %q %v", s, err)
	}
	for _, bad := range []string{"{{", "Hi {{name", "{{nom}}", "{{fields.}}", "{{fields.a b}}", "{{name|{{x}}}}", "{{}}", strings.Repeat("x", MaxTemplateLen+1)} {
		var te *TemplateError
		if _, err := ParseTemplate(bad); !errors.As(err, &te) || te.Reason == "" {
			t.Errorf("%.40q: %v, want a TemplateError", bad, err)
		}
	}
}

func TestCountText(t *testing.T) {
	for _, tc := range []struct {
		text   string
		coding string
		parts  int
		left   int
	}{
		{"hello", "gsm7", 1, 155},
		{strings.Repeat("a", 160), "gsm7", 1, 0},
		{strings.Repeat("a", 161), "gsm7", 2, 145},
		{"€", "gsm7", 1, 158}, // an escape pair counts two
		// 152 + an escape pair is 154 septets, one more than a part of a
		// long message holds: the pair is not split, so it starts part two.
		{strings.Repeat("a", 152) + "€" + strings.Repeat("b", 8), "gsm7", 2, 143},
		{"héllo wörld ☃", "ucs2", 1, 57},
		{strings.Repeat("a", 66) + "😀bbb", "ucs2", 2, 62}, // the surrogate pair moves whole
		{strings.Repeat("a", 68) + "😀", "ucs2", 1, 0},
	} {
		c, err := CountText(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		if c.Coding != tc.coding || c.Parts != tc.parts || c.Left != tc.left {
			t.Errorf("%.30q: %+v, want %s %d parts %d left", tc.text, c, tc.coding, tc.parts, tc.left)
		}
		// The codec's own cut agrees on the parts.
		segs, err := pdu.SegmentText(tc.text, pdu.SegmentOptions{})
		if err != nil || len(segs) != c.Parts {
			t.Errorf("%.30q: the codec cuts %d parts, %v", tc.text, len(segs), err)
		}
	}
}

func TestSmartEncode(t *testing.T) {
	in := "It\u2019s \u201cgreat\u201d \u2014 50\u00a0% off\u2026"
	out, changed := SmartEncode(in)
	if !changed || out != "It's \"great\" - 50 % off..." {
		t.Fatalf("%q, %v", out, changed)
	}
	before, _ := CountText(strings.Repeat(in, 3))
	after, _ := CountText(strings.Repeat(out, 3))
	if before.Coding != "ucs2" || after.Coding != "gsm7" || after.Parts >= before.Parts {
		t.Fatalf("before %+v after %+v", before, after)
	}
	// An emoji keeps the text UCS-2: nothing is changed for nothing.
	if out, changed := SmartEncode("\u201cok\u201d 😀"); changed || out != "\u201cok\u201d 😀" {
		t.Fatalf("emoji text changed: %q", out)
	}
	if _, changed := SmartEncode("plain"); changed {
		t.Fatal("a GSM text changed")
	}
}
