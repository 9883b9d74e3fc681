package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// durationKey is one duration key of the file: its table path and key.
type durationKey struct {
	table []string // "retry"; empty for a top-level key
	array bool     // the table is an array of tables ([[modem]])
	key   string
	field []int // reflect index path from Config
}

func (k durationKey) String() string {
	if len(k.table) == 0 {
		return k.key
	}
	return "[" + strings.Join(k.table, ".") + "] " + k.key
}

// durationKeys walks Config by its toml tags and returns every Duration
// key; a time.Duration field with a toml tag is reported as an error,
// because the decoder would read a bare number there as nanoseconds.
func durationKeys(t *testing.T) []durationKey {
	t.Helper()
	stdDuration := reflect.TypeOf(time.Duration(0))
	ourDuration := reflect.TypeOf(Duration{})
	var out []durationKey
	var walk func(typ reflect.Type, table []string, array bool, index []int)
	walk = func(typ reflect.Type, table []string, array bool, index []int) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("toml"), ",")[0]
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			switch {
			case f.Type == stdDuration:
				t.Errorf("%s.%s is a time.Duration: make it a Duration so a bare number is refused", strings.Join(table, "."), tag)
			case f.Type == ourDuration:
				out = append(out, durationKey{table: table, array: array, key: tag, field: idx})
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, append(append([]string(nil), table...), tag), false, idx)
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct && f.Type.Elem() != ourDuration:
				walk(f.Type.Elem(), append(append([]string(nil), table...), tag), true, idx)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), nil, false, nil)
	return out
}

// doc writes a file that sets k to value (a TOML literal), with whatever
// else its table needs to validate.
func (k durationKey) doc(value string) string {
	var b strings.Builder
	if len(k.table) > 0 {
		if k.array {
			b.WriteString("[[" + strings.Join(k.table, ".") + "]]\n")
			if k.table[len(k.table)-1] == "modem" {
				b.WriteString("port = \"/dev/ttyUSB0\"\n")
			}
		} else {
			b.WriteString("[" + strings.Join(k.table, ".") + "]\n")
		}
	}
	b.WriteString(k.key + " = " + value + "\n")
	return b.String()
}

// value reads k's Duration back out of a parsed Config.
func (k durationKey) value(c Config) time.Duration {
	v := reflect.ValueOf(c)
	for _, i := range k.field {
		if v.Kind() == reflect.Slice {
			v = v.Index(0)
		}
		v = v.Field(i)
	}
	return v.Interface().(Duration).Duration
}

func TestDurationKeysRefuseBareNumbers(t *testing.T) {
	keys := durationKeys(t)
	if len(keys) < 14 {
		t.Fatalf("found %d duration keys, want at least the 14 the file documents: %v", len(keys), keys)
	}
	for _, k := range keys {
		t.Run(k.String(), func(t *testing.T) {
			for _, c := range []struct{ value, want string }{
				{"180", k.String() + `: 180 is not a duration; write "180s"`},
				{"0", k.String() + `: 0 is not a duration; write "0s"`},
				{"2.5", k.String() + `: 2.5 is not a duration; write "2.5s"`},
				{`"180"`, k.String() + `: "180" is not a duration`},
				{`"soon"`, k.String() + `: "soon" is not a duration`},
				{"true", k.String() + `: a bool is not a duration`},
			} {
				_, err := Parse(k.doc(c.value))
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s = %s: error %v, want it to contain %q", k.key, c.value, err, c.want)
				}
			}
			for _, c := range []struct {
				value string
				want  time.Duration
			}{
				{`"180s"`, 180 * time.Second},
				{`"2m30s"`, 150 * time.Second},
				{` "45s" `, 45 * time.Second},
			} {
				cfg, err := Parse(k.doc(c.value))
				if err != nil {
					t.Errorf("%s = %s: %v", k.key, c.value, err)
					continue
				}
				if got := k.value(cfg); got != c.want {
					t.Errorf("%s = %s: read %v, want %v", k.key, c.value, got, c.want)
				}
			}
		})
	}
}

func TestDurationErrorGivesTheLine(t *testing.T) {
	_, err := Parse("[server]\nlisten = \"127.0.0.1:1\"\n\n[retry]\npolicy = \"at-most-once\"\nsend_timeout = 180\n")
	want := `line 6: [retry] send_timeout: 180 is not a duration; write "180s"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestDurationEncodesAsText(t *testing.T) {
	c := Default()
	j, err := json.Marshal(c.Retry)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"SendTimeout":"3m0s"`) {
		t.Fatalf("retry as JSON: %s", j)
	}
	var back RetryConfig
	if err := json.Unmarshal(j, &back); err != nil || back.SendTimeout != c.Retry.SendTimeout {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
