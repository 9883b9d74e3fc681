package kannel_test

import (
	"testing"

	"smsgw/api"
	"smsgw/api/compat/kannel"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// newEnv builds the whole HTTP stack with the API's options o over a real
// store.
func newEnv(t *testing.T, o api.Options) *httpdtest.Env {
	t.Helper()
	return httpdtest.New(t, httpd.Options{API: o})
}

// newKannelEnv is newEnv with the Kannel API's options k.
func newKannelEnv(t *testing.T, o api.Options, k kannel.Options) *httpdtest.Env {
	t.Helper()
	return httpdtest.New(t, httpd.Options{API: o, Kannel: k})
}
