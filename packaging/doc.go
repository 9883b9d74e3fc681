// Package packaging holds what the Debian package installs besides the
// binary: the commented example configuration smsgw.toml (installed as
// /etc/smsgw/smsgw.toml), the man page and the maintainer scripts. It has no
// Go code; its test keeps smsgw.toml in step with config.Config.
package packaging
