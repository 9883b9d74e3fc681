package phonenumbers

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	upstream "github.com/nyaruka/phonenumbers"
)

// TestAsUpstream: this copy answers as the upstream module does, for
// numbers of every calling code and length, international and national
// (with every region as the default), and for the lookups smsgw makes.
func TestAsUpstream(t *testing.T) {
	if MetadataLoaded() {
		t.Fatal("the metadata was parsed before first use")
	}
	if !reflect.DeepEqual(GetSupportedCallingCodes(), upstream.GetSupportedCallingCodes()) {
		t.Fatal("calling codes differ")
	}
	if !MetadataLoaded() {
		t.Error("MetadataLoaded is false after a lookup")
	}
	regions := make([]string, 0, 250)
	for r := range upstream.GetSupportedRegions() {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	if !reflect.DeepEqual(GetSupportedRegions(), upstream.GetSupportedRegions()) {
		t.Fatal("regions differ")
	}
	for _, r := range regions {
		if a, b := GetCountryCodeForRegion(r), upstream.GetCountryCodeForRegion(r); a != b {
			t.Errorf("GetCountryCodeForRegion(%s): %d, upstream %d", r, a, b)
		}
	}
	const fill = "7319586420"
	checked := 0
	compare := func(n, region string) {
		checked++
		a, aerr := Parse(n, region)
		b, berr := upstream.Parse(n, region)
		if fmt.Sprint(aerr) != fmt.Sprint(berr) {
			t.Errorf("Parse(%q, %s): %v, upstream %v", n, region, aerr, berr)
			return
		}
		if aerr != nil {
			return
		}
		got := fmt.Sprint(Format(a, E164), GetRegionCodeForNumber(a), int(IsPossibleNumberWithReason(a)), IsValidNumber(a), GetNationalSignificantNumber(a))
		want := fmt.Sprint(upstream.Format(b, upstream.E164), upstream.GetRegionCodeForNumber(b), int(upstream.IsPossibleNumberWithReason(b)), upstream.IsValidNumber(b), upstream.GetNationalSignificantNumber(b))
		if got != want {
			t.Errorf("%q in %s: %s, upstream %s", n, region, got, want)
		}
		e := Format(a, E164)
		za, _ := GetTimezonesForPrefix(e)
		zb, _ := upstream.GetTimezonesForPrefix(e)
		if !reflect.DeepEqual(za, zb) {
			t.Errorf("GetTimezonesForPrefix(%s): %v, upstream %v", e, za, zb)
		}
	}
	for cc := range upstream.GetSupportedCallingCodes() {
		if a, b := GetRegionCodeForCountryCode(cc), upstream.GetRegionCodeForCountryCode(cc); a != b {
			t.Errorf("GetRegionCodeForCountryCode(%d): %s, upstream %s", cc, a, b)
		}
		for l := 2; l <= 15; l++ {
			for first := 0; first <= 9; first++ {
				nat := []byte{byte('0' + first)}
				for i := 1; i < l; i++ {
					nat = append(nat, fill[(i*3+first)%len(fill)])
				}
				compare(fmt.Sprintf("+%d%s", cc, nat), "ZZ")
			}
		}
	}
	for i, r := range regions {
		for l := 4; l <= 12; l += 2 {
			nat := []byte{'0'}
			for k := 1; k < l; k++ {
				nat = append(nat, fill[(k*7+i)%len(fill)])
			}
			compare(string(nat), r)
			compare(string(nat[1:]), r)
			compare("00"+fmt.Sprint(GetCountryCodeForRegion(r))+" ("+string(nat[:1])+") "+string(nat[1:]), r)
		}
	}
	t.Logf("%d numbers compared", checked)
}

// TestShortNumbersAsUpstream: the short number metadata, loaded on first
// use, answers as upstream's.
func TestShortNumbersAsUpstream(t *testing.T) {
	for _, c := range []struct{ n, region string }{{"112", "DE"}, {"110", "DE"}, {"911", "US"}, {"999", "GB"}, {"12345", "FR"}, {"1", "DE"}} {
		a, err := Parse(c.n, c.region)
		if err != nil {
			continue
		}
		b, _ := upstream.Parse(c.n, c.region)
		if IsPossibleShortNumber(a) != upstream.IsPossibleShortNumber(b) || IsValidShortNumber(a) != upstream.IsValidShortNumber(b) {
			t.Errorf("%s in %s: short number answers differ", c.n, c.region)
		}
	}
}
