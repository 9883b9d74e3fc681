package config

import (
	"os"
	"time"
)

// NodeConfig is the [node] table: who this gateway is among those sharing
// a database.
type NodeConfig struct {
	// Name identifies the gateway; it owns the attempts it starts.
	// Default: the hostname.
	Name string `toml:"name"`
	// Lease is how long this gateway's in-flight attempts stay its own
	// without a renewal (it renews every third of it). Past it, another
	// gateway on the same database takes them back under [retry] policy.
	Lease Duration `toml:"lease"`
}

func (n *NodeConfig) applyDefaults() {
	if n.Name == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			n.Name = h
		} else {
			n.Name = "local"
		}
	}
	if n.Lease.Duration == 0 {
		n.Lease = D(30 * time.Second)
	}
}

func (n NodeConfig) validate(bad badFunc) {
	if len(n.Name) > 64 {
		bad("node.name", "%q: longer than 64 characters", n.Name)
	}
	// A heartbeat every third of the lease must fit a busy SD card's
	// commit several times over.
	if n.Lease.Duration < 3*time.Second || n.Lease.Duration > time.Hour {
		bad("node.lease", "%s: want between 3s and 1h", n.Lease.Duration)
	}
}
