package contacts

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	c := Contact{Number: " 0151/123 456 78 ", Name: "  Anna ", Fields: map[string]string{"city": " Berlin "}, Groups: []string{"b", "A", "a ", "b"}}
	if err := Normalize(&c, "49"); err != nil {
		t.Fatal(err)
	}
	if c.Number != "+4915112345678" || c.Name != "Anna" || c.Fields["city"] != "Berlin" || strings.Join(c.Groups, ",") != "A,b" || c.TimeZone != "Europe/Berlin" {
		t.Fatalf("normalised %+v", c)
	}
	c = Contact{Number: "+12125550123", TimeZone: "Asia/Tokyo"}
	if err := Normalize(&c, ""); err != nil || c.TimeZone != "Asia/Tokyo" {
		t.Fatalf("set zone kept: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		c     Contact
		field string
	}{
		{Contact{Number: "abc"}, "number"},
		{Contact{Number: "0151 1234567"}, "number"}, // national without a default country
		{Contact{Number: "112"}, "number"},          // short code
		{Contact{Number: "+4915112345678", Name: strings.Repeat("x", MaxNameLen+1)}, "name"},
		{Contact{Number: "+4915112345678", Name: "a\x00b"}, "name"},
		{Contact{Number: "+4915112345678", Fields: map[string]string{"a.b": "x"}}, "fields"},
		{Contact{Number: "+4915112345678", Fields: map[string]string{"k": "\xff"}}, "fields.k"},
		{Contact{Number: "+4915112345678", Groups: []string{""}}, "groups"},
		{Contact{Number: "+4915112345678", TimeZone: "Local"}, "time_zone"},
		{Contact{Number: "+4915112345678", TimeZone: "Nowhere/City"}, "time_zone"},
	} {
		err := Normalize(&tc.c, "")
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || ve.Reason == "" {
			t.Errorf("%+v: %v, want a ValidationError on %s", tc.c, err, tc.field)
		}
	}
}
