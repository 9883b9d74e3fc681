package daemon

import (
	"testing"

	"smsgw/api"
	"smsgw/config"
	"smsgw/httpd"
)

// TestConfigDefaultsAreTheAPIs: the configuration spells the HTTP API's
// defaults and kannel_get values itself (it is read without the HTTP
// layer); a file that leaves [limits] and [security] out must still give
// the API exactly its own defaults.
func TestConfigDefaultsAreTheAPIs(t *testing.T) {
	c := config.Default()
	if got, want := apiLimits(c.Limits), api.DefaultLimits(); got != want {
		t.Fatalf("default [limits] map to %+v, the API's defaults are %+v", got, want)
	}
	if config.KannelGetLocal != httpd.KannelGetLocal || config.KannelGetNever != httpd.KannelGetNever {
		t.Fatalf("kannel_get values %q/%q, the API's %q/%q",
			config.KannelGetLocal, config.KannelGetNever, httpd.KannelGetLocal, httpd.KannelGetNever)
	}
	if c.Security.KannelGet != httpd.KannelGetLocal {
		t.Fatalf("default kannel_get %q, want %q", c.Security.KannelGet, httpd.KannelGetLocal)
	}
}
