package hooks

import "context"

// Registration is one webhook registered through the API
// (android-sms-gateway shape), as the gateway keeps it.
type Registration struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Event    string `json:"event"`
	DeviceID string `json:"deviceId,omitempty"`
}

// Registry is what the gateway needs from storage to keep webhook
// registrations: they live in the database beside the events they are
// delivered, so every gateway sharing it sees the same ones and a backup of
// the database holds them too.
type Registry interface {
	// Webhooks lists the registrations ordered by id.
	Webhooks(ctx context.Context) ([]Registration, error)
	// PutWebhook adds r, or replaces the registration with the same id.
	PutWebhook(ctx context.Context, r Registration) error
	// DeleteWebhook removes the registration with this id; one that does
	// not exist is smsgw.ErrNotFound.
	DeleteWebhook(ctx context.Context, id string) error
}
