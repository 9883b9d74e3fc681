package config

// DebugConfig is the [debug] table: diagnostics that are off by default.
type DebugConfig struct {
	// Pprof serves the Go runtime profiles at /debug/pprof/ to tokens of
	// full scope (CPU, heap, allocations, goroutines).
	Pprof bool `toml:"pprof"`
}
