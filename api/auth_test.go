package api_test

import (
	"smsgw/api"
	"strings"
	"testing"
)

func TestParseTokens(t *testing.T) {
	got, err := api.ParseTokens([]string{"abc", "send:def", "read:ghi"})
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Token{{"abc", api.ScopeFull}, {"def", api.ScopeSend}, {"ghi", api.ScopeRead}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%d: %+v", i, got[i])
		}
	}
	if _, err := api.ParseTokens([]string{"send:"}); err == nil {
		t.Fatal("empty secret accepted")
	}
	if s := (api.Token{Secret: "topsecret"}).String(); strings.Contains(s, "topsecret") {
		t.Fatal("String shows the secret")
	}
}
