package packaging

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"smsgw/config"
)

// exampleSetting matches a commented-out setting or table header ("#key =",
// "#[table]", "#[[modem]]"); prose comments start with "# ".
var exampleSetting = regexp.MustCompile(`^#(\[|[a-z_]+ = )`)

func readExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("smsgw.toml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// uncomment turns every example setting into a real one.
func uncomment(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if exampleSetting.MatchString(l) {
			lines[i] = l[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// TestExampleConfigAsShipped: the file the package installs must load as it
// is, or a fresh install would not start.
func TestExampleConfigAsShipped(t *testing.T) {
	c, err := config.Parse(readExample(t))
	if err != nil {
		t.Fatalf("packaging/smsgw.toml does not load: %v", err)
	}
	if !config.IsLocalListen(c.Server.Listen) {
		t.Errorf("the shipped config listens on %q: a fresh install must answer loopback only", c.Server.Listen)
	}
	if len(c.Server.Tokens) != 0 || len(c.Modems) != 0 || c.Simulate.Modems != 0 {
		t.Errorf("the shipped config must not set tokens, modems or simulation: %+v", c)
	}
}

// TestExampleConfigDocumentsEveryKey: with every example uncommented the file
// still loads (so each example is a valid value), and it then sets every key
// config.Config knows, so a key added there without documentation here
// fails this test.
func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	full := uncomment(readExample(t))
	if _, err := config.Parse(full); err != nil {
		t.Fatalf("packaging/smsgw.toml with its examples uncommented does not load: %v", err)
	}
	var c config.Config
	md, err := toml.Decode(full, &c)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, k := range md.Keys() {
		defined[k.String()] = true
	}
	var missing []string
	for _, k := range configKeys(reflect.TypeOf(config.Config{}), "") {
		if !defined[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("packaging/smsgw.toml has no example for: %s", strings.Join(missing, ", "))
	}
}

// configKeys lists the dotted TOML key of every leaf field: a field whose
// type decodes itself (toml.Unmarshaler, encoding.TextUnmarshaler,
// time.Duration) or is not a struct.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && !decodesItself(ft.Elem()) {
			ft = ft.Elem() // an array of tables, such as [[modem]]
		}
		if ft.Kind() == reflect.Struct && !decodesItself(ft) {
			keys = append(keys, configKeys(ft, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

func decodesItself(t reflect.Type) bool {
	if t == reflect.TypeOf(time.Duration(0)) {
		return true
	}
	p := reflect.PointerTo(t)
	return p.Implements(reflect.TypeOf((*toml.Unmarshaler)(nil)).Elem()) ||
		p.Implements(reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem())
}

func TestUncomment(t *testing.T) {
	in := "# prose = 1\n#key = 2\n#[[modem]]\n#   listen = 3\n"
	want := "# prose = 1\nkey = 2\n[[modem]]\n#   listen = 3\n"
	if got := uncomment(in); got != want {
		t.Errorf("uncomment:\n got %q\nwant %q", got, want)
	}
}
