package httpd_test

import (
	"smsgw"
	"smsgw/httpd"
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	got, err := httpd.ParseTokens([]string{"abc", "send:def", "read:ghi"})
	if err != nil {
		t.Fatal(err)
	}
	want := []httpd.Token{{"abc", smsgw.ScopeFull}, {"def", smsgw.ScopeSend}, {"ghi", smsgw.ScopeRead}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%d: %+v", i, got[i])
		}
	}
	if _, err := httpd.ParseTokens([]string{"send:"}); err == nil {
		t.Fatal("empty secret accepted")
	}
	if s := (httpd.Token{Secret: "topsecret"}).String(); strings.Contains(s, "topsecret") {
		t.Fatal("String shows the secret")
	}
}
