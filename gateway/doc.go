// Package gateway is the daemon core: given its Options (which the
// composition root, internal/daemon, maps from the configuration; the
// gateway does not read TOML), it joins the modem pool to the durable queue
// with one worker per ready modem, runs the
// inbound pipeline (URCs and SIM sweeps to the queue, then deletion from the
// SIM), and forwards events to scripts and webhooks.
//
// Nothing here talks AT or SQL directly: package modem owns the devices and
// package queue owns the database; gateway decides what happens between them.
package gateway
