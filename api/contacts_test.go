package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/contacts"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

func csvRequest(path, body string) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Host = "localhost:8787"
	return req
}

func TestContactsCRUD(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	r := e.Do("POST", "/v1/contacts", map[string]any{"number": "0151 1234 5678", "name": "Anna",
		"fields": map[string]string{"city": "Berlin"}, "groups": []string{"vip"}})
	e.Want(r, http.StatusCreated)
	var c contacts.Contact
	r.JSON(t, &c)
	if c.Number != "+4915112345678" || c.TimeZone != "Europe/Berlin" || r.Header.Get("Location") != "/v1/contacts/"+c.ID {
		t.Fatalf("created %+v", c)
	}
	e.Want(e.Do("POST", "/v1/contacts", map[string]any{"number": "+4915112345678"}), http.StatusConflict)
	for _, tc := range []struct {
		body        any
		code, field string
	}{
		{map[string]any{"name": "x"}, api.CodeMissingField, "number"},
		{map[string]any{"number": "abc"}, api.CodeInvalidNumber, "number"},
		{map[string]any{"number": "+4915112345679", "fields": map[string]string{"a b": "x"}}, api.CodeInvalidField, "fields"},
		{map[string]any{"number": "+4915112345679", "time_zone": "Mars/Olympus"}, api.CodeInvalidField, "time_zone"},
		{map[string]any{"number": "+4915112345679", "groups": []string{" "}}, api.CodeInvalidField, "groups"},
		{map[string]any{"number": "+4915112345679", "id": "1"}, api.CodeUnknownField, "id"},
	} {
		r := e.Do("POST", "/v1/contacts", tc.body)
		e.Want(r, 400)
		if code, field := r.ErrCode(t); code != tc.code || field != tc.field {
			t.Errorf("%v: %s on %q, want %s on %q", tc.body, code, field, tc.code, tc.field)
		}
	}
	r = e.Do("PATCH", "/v1/contacts/"+c.ID, `{"number":"+12125550123","fields":{"city":null,"plan":"gold"},"groups":["a","b"]}`)
	e.Want(r, 200)
	c = contacts.Contact{}
	r.JSON(t, &c)
	if c.Number != "+12125550123" || c.TimeZone != "America/New_York" || c.Fields["plan"] != "gold" || len(c.Fields) != 1 || len(c.Groups) != 2 {
		t.Fatalf("patched %+v", c)
	}
	e.Do("POST", "/v1/contacts", map[string]any{"number": "+33612345678", "name": "Claire", "groups": []string{"a"}})
	var list api.ContactList
	r = e.Do("GET", "/v1/contacts?group=a&limit=1", nil)
	e.Want(r, 200)
	r.JSON(t, &list)
	if len(list.Contacts) != 1 || list.NextCursor == "" {
		t.Fatalf("page 1 %+v", list)
	}
	r = e.Do("GET", "/v1/contacts?group=a&limit=1&cursor="+list.NextCursor, nil)
	list = api.ContactList{}
	r.JSON(t, &list)
	if len(list.Contacts) != 1 || list.Contacts[0].Name != "Claire" || list.NextCursor != "" {
		t.Fatalf("page 2 %+v", list)
	}
	r = e.Do("GET", "/v1/contacts?field=plan=gold&number=212", nil)
	list = api.ContactList{}
	r.JSON(t, &list)
	if len(list.Contacts) != 1 || list.Contacts[0].ID != c.ID {
		t.Fatalf("by field and number %+v", list)
	}
	e.Want(e.Do("GET", "/v1/contacts?group=nope", nil), 404)
	e.Want(e.Do("GET", "/v1/contacts?cursor=x", nil), 400)
	e.Want(e.Do("GET", "/v1/contacts?field=a%20b", nil), 400)

	var g contacts.Group
	r = e.Do("GET", "/v1/groups/a", nil)
	e.Want(r, 200)
	r.JSON(t, &g)
	if g.Contacts != 2 {
		t.Fatalf("group a %+v", g)
	}
	r = e.Do("PATCH", "/v1/groups/"+g.ID, map[string]any{"name": "Alpha"})
	e.Want(r, 200)
	e.Want(e.Do("POST", "/v1/groups", map[string]any{"name": "alpha"}), http.StatusConflict)
	e.Want(e.Do("POST", "/v1/groups", map[string]any{"name": "new", "description": "d"}), http.StatusCreated)
	var gl api.GroupList
	e.Do("GET", "/v1/groups", nil).JSON(t, &gl)
	if len(gl.Groups) != 4 || gl.Groups[0].Name != "Alpha" || gl.Groups[0].Contacts != 2 {
		t.Fatalf("groups %+v", gl)
	}
	e.Want(e.Do("DELETE", "/v1/groups/Alpha", nil), http.StatusNoContent)
	e.Want(e.Do("DELETE", "/v1/contacts/"+c.ID, nil), http.StatusNoContent)
	e.Want(e.Do("GET", "/v1/contacts/"+c.ID, nil), 404)
	e.Want(e.Do("DELETE", "/v1/groups/Alpha", nil), 404)
}

func TestContactsImportExport(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	csv := "number,name,city\n0151 1111111,One,Bonn\nxx,Bad,\n+4915122222222,Two,\n0151 1111111,,Köln\n"
	r := e.Serve(csvRequest("/v1/contacts/import?group=Newsletter", csv))
	e.Want(r, 200)
	var res contacts.ImportResult
	r.JSON(t, &res)
	if res.Rows != 4 || res.Created != 2 || res.Updated != 1 || res.Bad != 1 || res.Errors[0].Line != 3 || res.Group != "Newsletter" {
		t.Fatalf("import %+v", res)
	}
	r = e.Do("GET", "/v1/contacts/export?group=newsletter", nil)
	e.Want(r, 200)
	if want := "number,name,city\n+491511111111,One,Köln\n+4915122222222,Two,\n"; string(r.Body) != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export %q", r.Body)
	}
	e.Want(e.Do("GET", "/v1/contacts/export?group=nope", nil), 404)
	r = e.Serve(csvRequest("/v1/contacts/import", "name\nx\n"))
	e.Want(r, 400)
	if code, _ := r.ErrCode(t); code != api.CodeInvalidCSV {
		t.Fatalf("code %s", code)
	}
	e.Want(e.Do("POST", "/v1/contacts/import", `{"number":"x"}`), http.StatusUnsupportedMediaType)
	e.Want(e.Serve(csvRequest("/v1/contacts/import?group=%20", csv)), 400)
	// Larger than the API's JSON limit (1 MB): the import route takes it.
	var b bytes.Buffer
	b.WriteString("number,name,note\n")
	for i := 0; b.Len() < 2<<20; i++ {
		fmt.Fprintf(&b, "+49151%08d,Person %d,%s\n", i, i, strings.Repeat("n", 100))
	}
	r = e.Serve(csvRequest("/v1/contacts/import", b.String()))
	e.Want(r, 200)
	r.JSON(t, &res)
	if res.Bad != 0 || res.Created < 10000 {
		t.Fatalf("large import %+v", res)
	}
}

// BenchmarkImport100k imports 100,000 contacts through the API (the
// target is 10 s on a Raspberry-Pi-class machine; see README).
func BenchmarkImport100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("number,name,city,plan\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&buf, "+49151%08d,Person %d,City %d,gold\n", i, i, i%100)
	}
	body := buf.String()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := httpdtest.New(b, httpd.Options{})
		b.StartTimer()
		before := cpuTime()
		r := e.Serve(csvRequest("/v1/contacts/import?group=all", body))
		cpu += cpuTime() - before
		if r.Code != 200 {
			b.Fatalf("status %d: %.300s", r.Code, r.Body)
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "contacts/s")
	// On a shared, loaded machine wall time says little: the process's
	// own CPU time (user+system) is the figure to compare.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
