package hooks

// Registration is one webhook registered through the API
// (android-sms-gateway shape), as the gateway keeps it.
type Registration struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Event    string `json:"event"`
	DeviceID string `json:"deviceId,omitempty"`
}
