// Package consent keeps who agreed to receive messages and who asked to
// stop: the opt-out, opt-in and help keywords of received messages, the
// policy the queue applies to every recipient (suppression, deny and allow
// lists), double opt-in, and the hash-chained, append-only ledger that
// proves it all to an auditor.
//
// The package decides; storage is behind Store (implemented by the
// drivers in store/, checked by store/storetest), and the gateway hands it
// received messages and sends its replies.
package consent
