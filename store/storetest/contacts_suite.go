package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"smsgw"
	"smsgw/contacts"
	"smsgw/queue"
)

// contactStore is the driver's contacts.Store; a driver without contacts
// skips these checks, naming itself.
func contactStore(t testing.TB, st queue.Storage) contacts.Store {
	t.Helper()
	cs, ok := st.(contacts.Store)
	if !ok {
		t.Skipf("%T does not implement contacts.Store", st)
	}
	return cs
}

func mustContact(t *testing.T, number, name string, fields map[string]string, groups ...string) contacts.Contact {
	t.Helper()
	c := contacts.Contact{Number: number, Name: name, Fields: fields, Groups: groups}
	if err := contacts.Normalize(&c, "49"); err != nil {
		t.Fatal(err)
	}
	return c
}

// testContactStore: add, get by id and number, unique numbers, update
// (groups replaced, number conflicts), delete, search by each criterion
// with paging, and everything survives a reopen.
func testContactStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	cs := contactStore(t, st)
	a, err := cs.AddContact(ctx, mustContact(t, "0151 1234 5678", "Anna Schmidt", map[string]string{"city": "Berlin"}, "vip", "staff"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Number != "+4915112345678" || a.TimeZone != "Europe/Berlin" || len(a.Groups) != 2 || a.Groups[0] != "staff" ||
		a.Fields["city"] != "Berlin" || a.Created.IsZero() {
		t.Fatalf("added %+v", a)
	}
	if _, err := cs.AddContact(ctx, mustContact(t, "+4915112345678", "dup", nil)); !errors.Is(err, smsgw.ErrConflict) {
		t.Fatalf("duplicate number: %v, want ErrConflict", err)
	}
	b, err := cs.AddContact(ctx, mustContact(t, "+12125550123", "Bob_100%", map[string]string{"city": "NYC", "plan": "gold"}, "VIP"))
	if err != nil {
		t.Fatal(err)
	}
	if b.TimeZone != "America/New_York" || len(b.Groups) != 1 || b.Groups[0] != "vip" {
		t.Fatalf("b = %+v (the group name matches case-insensitively and keeps its first spelling)", b)
	}
	c, err := cs.AddContact(ctx, mustContact(t, "+33612345678", "Claire", nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cs.ContactByNumber(ctx, "+12125550123"); err != nil || got.ID != b.ID {
		t.Fatalf("by number: %+v, %v", got, err)
	}
	for _, id := range []string{"", "0", "x", "999999", "01"} {
		if _, err := cs.Contact(ctx, id); !errors.Is(err, smsgw.ErrNotFound) {
			t.Errorf("Contact(%q) = %v, want ErrNotFound", id, err)
		}
	}
	ids := func(f contacts.Filter) string {
		t.Helper()
		got, err := cs.Contacts(ctx, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		var s []string
		for _, c := range got {
			s = append(s, c.Name)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		f    contacts.Filter
		want string
	}{
		{contacts.Filter{}, "Anna Schmidt,Bob_100%,Claire"},
		{contacts.Filter{Name: "schmidt"}, "Anna Schmidt"},
		{contacts.Filter{Name: "_100%"}, "Bob_100%"},
		{contacts.Filter{Name: "%"}, "Bob_100%"},
		{contacts.Filter{Number: "+1212"}, "Bob_100%"},
		{contacts.Filter{FieldKey: "city"}, "Anna Schmidt,Bob_100%"},
		{contacts.Filter{FieldKey: "city", FieldValue: "NYC", HasValue: true}, "Bob_100%"},
		{contacts.Filter{Group: "VIP"}, "Anna Schmidt,Bob_100%"},
		{contacts.Filter{Group: "staff", Name: "bob"}, ""},
		{contacts.Filter{Limit: 2}, "Anna Schmidt,Bob_100%"},
		{contacts.Filter{After: b.ID}, "Claire"},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("Contacts(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	if _, err := cs.Contacts(ctx, contacts.Filter{Group: "nope"}); !errors.Is(err, smsgw.ErrNotFound) {
		t.Errorf("unknown group filter: %v", err)
	}

	a.Name, a.Groups, a.Fields = "Anna S.", []string{"new"}, map[string]string{"zip": "10115"}
	u, err := cs.UpdateContact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Anna S." || len(u.Groups) != 1 || u.Groups[0] != "new" || len(u.Fields) != 1 || u.Fields["zip"] != "10115" {
		t.Fatalf("updated %+v", u)
	}
	c.Number = a.Number
	if _, err := cs.UpdateContact(ctx, c); !errors.Is(err, smsgw.ErrConflict) {
		t.Fatalf("update to a taken number: %v", err)
	}
	if err := cs.DeleteContact(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := cs.DeleteContact(ctx, b.ID); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	g, err := cs.Group(ctx, "vip")
	if err != nil || g.Contacts != 0 {
		t.Fatalf("vip after its members left: %+v, %v", g, err)
	}

	st.Close(ctx)
	cs = contactStore(t, d.reopen(t, queue.Options{}))
	if got := ids(contacts.Filter{}); got != "Anna S.,Claire" {
		t.Fatalf("after reopen: %q", got)
	}
	if keys, err := cs.FieldKeys(ctx); err != nil || strings.Join(keys, ",") != "zip" {
		t.Fatalf("FieldKeys = %v, %v", keys, err)
	}
}

// testGroupStore: add, names unique case-insensitively, get by id or name,
// rename, member counts, delete keeps the contacts.
func testGroupStore(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	cs := contactStore(t, st)
	g, err := cs.AddGroup(ctx, contacts.Group{Name: "Customers", Description: "paying"})
	if err != nil || g.ID == "" || g.Contacts != 0 {
		t.Fatalf("AddGroup = %+v, %v", g, err)
	}
	if _, err := cs.AddGroup(ctx, contacts.Group{Name: "customers"}); !errors.Is(err, smsgw.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := cs.AddContact(ctx, mustContact(t, "+4915112345678", "", nil, "customers")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{g.ID, "Customers", "CUSTOMERS"} {
		if got, err := cs.Group(ctx, key); err != nil || got.ID != g.ID || got.Contacts != 1 {
			t.Fatalf("Group(%q) = %+v, %v", key, got, err)
		}
	}
	other, err := cs.AddGroup(ctx, contacts.Group{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	g.Name = "other"
	if _, err := cs.UpdateGroup(ctx, g); !errors.Is(err, smsgw.ErrConflict) {
		t.Fatalf("rename onto another group: %v", err)
	}
	g.Name = "Clients"
	if got, err := cs.UpdateGroup(ctx, g); err != nil || got.Name != "Clients" {
		t.Fatalf("rename: %+v, %v", got, err)
	}
	if list, err := cs.Groups(ctx); err != nil || len(list) != 2 || list[0].Name != "Clients" || list[1].ID != other.ID {
		t.Fatalf("Groups = %+v, %v", list, err)
	}
	if err := cs.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Group(ctx, g.ID); !errors.Is(err, smsgw.ErrNotFound) {
		t.Fatalf("deleted group: %v", err)
	}
	c, err := cs.ContactByNumber(ctx, "+4915112345678")
	if err != nil || len(c.Groups) != 0 {
		t.Fatalf("contact after its group went: %+v, %v", c, err)
	}
}

// testContactImport: a CSV with good, bad and duplicate rows imports the
// good ones, merges the duplicates (also with stored contacts and across
// batches), reports every bad row by line, adds all to the group, and
// exports back to the same rows.
func testContactImport(t *testing.T, d driver) {
	ctx := context.Background()
	st, _ := d.testStore(t, queue.Options{})
	cs := contactStore(t, st)
	if _, err := cs.AddContact(ctx, mustContact(t, "+4915100000001", "Old", map[string]string{"city": "Bonn", "keep": "yes"})); err != nil {
		t.Fatal(err)
	}
	csv := "number,name,city\n" +
		"0151 00000001,New,Berlin\n" + // line 2: merges into the stored contact
		"+4915100000002,Two,\n" + // 3
		"not a number,Bad,\n" + // 4
		",Empty,\n" + // 5
		"+4915100000002,,Hamburg\n" + // 6: duplicate of line 3
		"+4915100000003,Three,Köln,extra\n" + // 7: too many columns
		"\n" +
		"\"+4915100000004\",\"Four, Jr.\",Mainz\n" // 9
	res, err := contacts.Import(ctx, cs, strings.NewReader(csv), contacts.ImportOptions{CallingCode: "49", Group: "imported"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 7 || res.Created != 2 || res.Updated != 2 || res.Bad != 3 || len(res.Errors) != 3 {
		t.Fatalf("import = %+v", res)
	}
	for i, line := range []int{4, 5, 7} {
		if res.Errors[i].Line != line || res.Errors[i].Reason == "" {
			t.Errorf("error %d = %+v, want line %d", i, res.Errors[i], line)
		}
	}
	one, _ := cs.ContactByNumber(ctx, "+4915100000001")
	if one.Name != "New" || one.Fields["city"] != "Berlin" || one.Fields["keep"] != "yes" || len(one.Groups) != 1 {
		t.Fatalf("merged %+v", one)
	}
	two, _ := cs.ContactByNumber(ctx, "+4915100000002")
	if two.Name != "Two" || two.Fields["city"] != "Hamburg" {
		t.Fatalf("duplicate rows merged into %+v", two)
	}
	if g, err := cs.Group(ctx, "imported"); err != nil || g.Contacts != 3 {
		t.Fatalf("group %+v, %v", g, err)
	}

	// Across batches: the same number in two batches is one contact.
	var b strings.Builder
	b.WriteString("number\n")
	for i := 0; i < contacts.ImportBatch+5; i++ {
		b.WriteString("+4915100000002\n")
	}
	res, err = contacts.Import(ctx, cs, strings.NewReader(b.String()), contacts.ImportOptions{})
	if err != nil || res.Created != 0 || res.Updated != contacts.ImportBatch+5 {
		t.Fatalf("repeated rows: %+v, %v", res, err)
	}
	// A malformed quote is a bad row, not the end of the import.
	res, err = contacts.Import(ctx, cs, strings.NewReader("number\n\"+4915100000005\"x\n+4915100000006\n"), contacts.ImportOptions{})
	if err != nil || res.Bad != 1 || res.Errors[0].Line != 2 || res.Created != 1 {
		t.Fatalf("bad quoting: %+v, %v", res, err)
	}
	for _, bad := range []string{"", "name,city\nx,y\n", "number,number\n", "number,bad key\n"} {
		var he *contacts.HeaderError
		if _, err := contacts.Import(ctx, cs, strings.NewReader(bad), contacts.ImportOptions{}); !errors.As(err, &he) {
			t.Errorf("header %q: %v, want a HeaderError", bad, err)
		}
	}

	var out bytes.Buffer
	if err := contacts.Export(ctx, cs, &out, contacts.Filter{Group: "imported"}); err != nil {
		t.Fatal(err)
	}
	want := "number,name,city,keep\n+4915100000001,New,Berlin,yes\n+4915100000002,Two,Hamburg,\n+4915100000004,\"Four, Jr.\",Mainz,\n"
	if out.String() != want {
		t.Fatalf("export:\n%s\nwant:\n%s", out.String(), want)
	}
}
