package httpd_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The import arrows of the HTTP side hold: only the HTTP layer (httpd and
// its test support) and the composition root import the API packages
// (api, api/compat/...) or the dashboard (web); the API packages import
// neither httpd nor web, and web imports neither httpd nor the API.
func TestImportArrows(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "smsgw/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	under := func(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	httpSide := func(p string) bool { return under(p, "smsgw/httpd") || p == "smsgw/internal/daemon" }
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 20 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		for _, imp := range imports {
			switch {
			case under(imp, "smsgw/api") && !httpSide(pkg) && !under(pkg, "smsgw/api"):
				t.Errorf("%s imports %s: only httpd and internal/daemon may", pkg, imp)
			case under(imp, "smsgw/web") && !httpSide(pkg) && !under(pkg, "smsgw/web"):
				t.Errorf("%s imports %s: only httpd and internal/daemon may", pkg, imp)
			case under(pkg, "smsgw/api") && (under(imp, "smsgw/httpd") || under(imp, "smsgw/web")):
				t.Errorf("%s imports %s: the API registers routes, it does not mount them", pkg, imp)
			case under(pkg, "smsgw/web") && (under(imp, "smsgw/httpd") || under(imp, "smsgw/api")):
				t.Errorf("%s imports %s: the dashboard reaches the HTTP layer through httpd.Site only", pkg, imp)
			case pkg == "smsgw/api" && under(imp, "smsgw/api/"):
				t.Errorf("api imports %s: the compatible APIs build on the core, not the reverse", imp)
			}
		}
	}
}
