// Package smsgw is the gateway's shared vocabulary: the states of an
// outbound message, the names of the events scripts, webhooks and API
// clients receive and the envelope they travel in, the errors every layer
// answers with, phone-number normalisation and the request fingerprint that
// makes a send idempotent, and who an HTTP caller is (Caller: its Scope,
// and the Need of the route it calls).
//
// Every other package of the module may import it; it imports none of
// them, so a word means the same thing in the queue, the gateway, the hooks
// and the HTTP API.
package smsgw
