package api_test

import (
	"testing"

	"smsgw/api"
	"smsgw/httpd"
	"smsgw/httpd/httpdtest"
)

// newEnv builds the whole HTTP stack with the API's options o over a real
// store.
func newEnv(t *testing.T, o api.Options) *httpdtest.Env {
	t.Helper()
	return httpdtest.New(t, httpd.Options{API: o})
}
