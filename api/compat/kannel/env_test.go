package kannel_test

import (
	"testing"

	"smsgw/api"
	"smsgw/api/compat/kannel"
	"smsgw/hooks"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// newEnv builds the whole HTTP stack with the API's options o over a real
// store.
func newEnv(t *testing.T, o api.Options) *httpdtest.Env {
	t.Helper()
	return httpdtest.New(t, httpd.Options{API: o})
}

// newDLR builds the daemon's dlr-url consumer over e's store, with e's
// callback policy.
func newDLR(t *testing.T, e *httpdtest.Env) *hooks.KannelDLR {
	t.Helper()
	d, err := hooks.NewKannelDLR(hooks.KannelDLROptions{Target: kannel.DLRTarget(e.Store), Policy: httpdtest.LoopbackCallbacks})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
