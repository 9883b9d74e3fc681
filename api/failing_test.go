package api_test

import (
	"context"
	"smsgw/api"
)

// failingStore injects a Submit failure into a real store.
type failingStore struct {
	api.Store
	err error
}

func (f failingStore) Submit(context.Context, api.SubmitRequest) (api.SubmitResult, error) {
	return api.SubmitResult{}, f.err
}
