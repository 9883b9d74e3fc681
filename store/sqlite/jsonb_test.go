package sqlite

import (
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestJSONBTexts: json_each reads back from jsonbTexts exactly the strings
// and keys that it reads from the same list as JSON text, and json() turns
// it into the JSON text of the list; escapes, non-ASCII text and every size
// of header included.
func TestJSONBTexts(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	long := strings.Repeat("7", 70000)
	lists := [][]string{
		{"+4915112345678"},
		{"", "a", "+4915112345678", "12345678901", "123456789012", `quote " and \ backslash`, "tab\tnewline\n", "ünïcødé ☎", "\x7f", long[:255], long[:256], long[:65535], long},
	}
	var many []string
	for i := 0; i < 500; i++ {
		many = append(many, "+49152"+strings.Repeat("0", 4)+string(rune('0'+i%10)))
	}
	lists = append(lists, many)
	// The elements of several arrays end to end, as a transaction gathers
	// its requests' numbers.
	var all []byte
	var elems []string
	for _, list := range lists {
		all = append(all, jsonbElements(jsonbTexts(list))...)
		elems = append(elems, list...)
	}
	lists = append(lists, elems)
	for i, list := range lists {
		b := jsonbTexts(list)
		if i == len(lists)-1 {
			b = jsonbArrayOf(all)
		}
		rows, err := db.Query(`SELECT key, value FROM json_each(?)`, b)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := 0; rows.Next(); k++ {
			var key int
			var v string
			if err := rows.Scan(&key, &v); err != nil {
				t.Fatal(err)
			}
			if key != k {
				t.Fatalf("key %d at element %d", key, k)
			}
			got = append(got, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, list) {
			t.Errorf("json_each read %d strings, not the %d given (first %.40q)", len(got), len(list), list[0])
		}
		want, _ := json.Marshal(list)
		var text string
		if err := db.QueryRow(`SELECT json(?)`, b).Scan(&text); err != nil {
			t.Fatal(err)
		}
		var back []string
		if err := json.Unmarshal([]byte(text), &back); err != nil || !slices.Equal(back, list) {
			t.Errorf("json() of the list is not its JSON (%v): %.80s against %.80s", err, text, want)
		}
	}
}
