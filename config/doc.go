// Package config reads the daemon's TOML configuration (default
// /etc/smsgw/smsgw.toml): every table with its defaults and its checks, the
// Secret type that never prints, and the Duration type that refuses bare
// numbers. Load and Parse return a Config that is complete (defaults
// filled) and valid, or every problem at once, each naming its key.
//
// It imports nothing of the daemon but the shared vocabulary, so the CLI
// and the packaging tests read a configuration without building the daemon.
// The HTTP tables ([security], [limits]) spell the HTTP API's defaults
// themselves; the composition root maps them to the API's options.
package config
