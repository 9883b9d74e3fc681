package daemon

import (
	"context"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/config"
)

// TestIdleTrimOncePerQuietSpell drives the trimmer's clock of CPU time and
// its count of allocations by hand: it trims at the first quiet window
// (start-up counts as work), not again while nothing is done, again after
// a busy window, and again in a quiet spell once the heap has allocated
// Realloc bytes and Retrim windows have passed.
func TestIdleTrimOncePerQuietSpell(t *testing.T) {
	events := make(chan string, 16)
	cpu := make(chan time.Duration)
	stop := make(chan struct{})
	var allocated atomic.Uint64
	tr := newIdleTrim(idleTrimOptions{
		Window: time.Millisecond, Quiet: 10 * time.Millisecond,
		Allocated: allocated.Load, Realloc: 1000, Retrim: 3,
		CPU: func() time.Duration {
			events <- "cpu"
			select {
			case v := <-cpu:
				return v
			case <-stop:
				return 0
			}
		},
		Trim:   func(context.Context) error { events <- "trim"; return nil },
		freeOS: func() { events <- "free" },
	})
	defer tr.Close()
	defer close(stop)
	expect := func(want ...string) {
		t.Helper()
		for _, w := range want {
			select {
			case got := <-events:
				if got != w {
					t.Fatalf("trimmer did %q, want %q", got, w)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("trimmer did nothing, want %q", w)
			}
		}
	}
	step := func(v time.Duration, want ...string) {
		t.Helper()
		cpu <- v
		expect(want...)
	}
	// Each step answers the CPU reading the trimmer is waiting for and
	// names what it does next.
	expect("cpu")
	step(0, "cpu")                                   // at start; the first tick reads
	step(1*time.Millisecond, "trim", "free", "cpu")  // a quiet window after start-up: trims, reads again
	step(2*time.Millisecond, "cpu")                  // the reading after the trim; the next tick reads
	step(3*time.Millisecond, "cpu")                  // quiet again: nothing to give back
	step(4*time.Millisecond, "cpu")                  // still quiet
	step(40*time.Millisecond, "cpu")                 // a busy window
	step(45*time.Millisecond, "trim", "free", "cpu") // quiet after work: trims
	step(46*time.Millisecond, "cpu")                 // the reading after the trim
	step(47*time.Millisecond, "cpu")                 // quiet: once per quiet spell
	allocated.Add(999)
	step(48*time.Millisecond, "cpu") // quiet, the heap has not grown enough
	allocated.Add(1)
	step(49*time.Millisecond, "trim", "free", "cpu") // quiet, 1000 bytes over 3 windows: trims
	step(50*time.Millisecond, "cpu")
	allocated.Add(5000)
	step(51*time.Millisecond, "cpu")                 // grown, but only one window since
	step(52*time.Millisecond, "cpu")                 // two
	step(53*time.Millisecond, "trim", "free", "cpu") // three
	step(54*time.Millisecond, "cpu")
	step(55*time.Millisecond, "cpu") // quiet, nothing allocated since
	step(56*time.Millisecond, "cpu")
	step(57*time.Millisecond, "cpu")
	step(58*time.Millisecond, "cpu")
}

// TestIdleTrimCloses stops a trimmer on its real window at once.
func TestIdleTrimCloses(t *testing.T) {
	tr := newIdleTrim(idleTrimOptions{})
	done := make(chan struct{})
	go func() { tr.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}

// TestDaemonRunsIdleTrim: a daemon on SQLite runs the trimmer with the
// store's Trim, which works on the running store, and stops it with the
// rest.
func TestDaemonRunsIdleTrim(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Storage.Path = filepath.Join(t.TempDir(), "smsgw.db")
	d, err := New(cfg, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if d.idle == nil || d.idle.o.Trim == nil {
		d.Close(ctx)
		t.Fatal("the daemon runs no idle trim of its SQLite store")
	}
	if err := d.idle.o.Trim(ctx); err != nil {
		t.Errorf("the store's Trim on a running daemon: %v", err)
	}
	d.Close(ctx)
	select {
	case <-d.idle.done:
	default:
		t.Fatal("the idle trim still runs after Close")
	}
}

// TestFreeGoMemoryShrinksStacks: a goroutine whose stack grew during
// work and is now parked gets most of it back, where the one collection
// of debug.FreeOSMemory would only halve it.
func TestFreeGoMemoryShrinksStacks(t *testing.T) {
	for range 4 {
		runtime.GC()
	}
	base := stackBytes() // the other goroutines', shrunk
	park, parked, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		deepStack(2000) // about 512 kB of stack frames
		close(parked)
		<-park
	}()
	<-parked
	runtime.GC()
	grown := stackBytes() // halved once
	freeGoMemory()
	after := stackBytes()
	close(park)
	<-done
	// One more collection would halve the excess; freeGoMemory's take it
	// back to (nearly) nothing.
	if grown < base+128<<10 || after > base+(grown-base)/4 {
		t.Errorf("stacks: %d kB at rest, %d kB after one collection, %d kB after freeGoMemory", base>>10, grown>>10, after>>10)
	}
	t.Logf("stacks: %d kB at rest, %d kB after one collection, %d kB after freeGoMemory", base>>10, grown>>10, after>>10)
}

//go:noinline
func deepStack(n int) byte {
	var pad [200]byte
	pad[n%200] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return deepStack(n-1) + pad[(n+1)%200]
}
