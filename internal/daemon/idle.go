package daemon

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"time"
)

// Memory is given back once the daemon has been quiet for one whole
// window: it used less than quietShare of one core over idleWindow.
//
// A busy spell leaves the Go heap at its peak (the runtime returns it to
// the kernel only slowly) and SQLite's page caches full, which a gateway
// on a Raspberry Pi then holds through hours of doing nothing. Measuring
// the process's own CPU time catches every kind of work (API requests,
// sends, received messages, campaigns, the dashboard) without a hook on
// any hot path; an idle daemon uses about 0.03 % of a core, a single
// accepted message around 0.2 ms, so 1 % tells a busy window from a quiet
// one even on a slower board. 15 s is longer than the pauses inside a
// burst of requests, so a burst is not trimmed between two of its
// requests, and short enough that memory comes back within half a minute
// of the last one. A trim costs one garbage collection and reopening the
// database readers on the next reads (about a millisecond each): a few
// milliseconds, once per quiet spell.
//
// A quiet daemon still allocates a little (the watchdog, the modems'
// periodic queries, the register of gateways); left alone its heap would
// creep back up to the garbage collector's goal, twice what is live, and
// stay there. So a quiet spell is trimmed again once the Go heap has
// allocated reallocBytes since the last trim, and retrimWindows windows
// have passed: sends trickling out through slow modems use too little
// CPU to count as work, and are not worth a trim every window.
const (
	idleWindow    = 15 * time.Second
	quietShare    = 0.01
	reallocBytes  = 2 << 20
	retrimWindows = 40 // 10 minutes
)

// trimTimeout bounds one trim; the writer's part waits for the
// transaction in progress.
const trimTimeout = 30 * time.Second

// idleTrimOptions configure an idleTrim; zero values take the constants
// above and the process's CPU time.
type idleTrimOptions struct {
	// Window is how long the daemon must be quiet before a trim, and how
	// often it looks.
	Window time.Duration
	// Quiet is the CPU time under which a window counts as quiet.
	Quiet time.Duration
	// CPU returns the CPU time the process has used so far.
	CPU func() time.Duration
	// Allocated returns the bytes the Go heap has allocated so far.
	Allocated func() uint64
	// Realloc is how much the heap may allocate during a quiet spell
	// before it is trimmed again, Retrim the windows that must pass
	// between two trims of the same spell.
	Realloc uint64
	Retrim  int
	// Trim gives memory back (the store's caches); the Go heap is
	// returned to the kernel after it.
	Trim   func(context.Context) error
	Logger *slog.Logger
	// freeOS returns the Go heap's free memory to the kernel (tests
	// replace it).
	freeOS func()
}

// idleTrim gives memory back after a busy spell, once the daemon has been
// quiet for a window: SQLite's page caches and idle connections, the C
// allocator's free pages, and the Go heap's free spans. It trims once per
// quiet spell, again only after some work has been done or the heap has
// grown by Realloc over Retrim windows, and its only activity while idle
// is one timer per window.
type idleTrim struct {
	o      idleTrimOptions
	cancel context.CancelFunc
	done   chan struct{}
}

// newIdleTrim starts the trimmer; Close stops it.
func newIdleTrim(o idleTrimOptions) *idleTrim {
	if o.Window <= 0 {
		o.Window = idleWindow
	}
	if o.Quiet <= 0 {
		o.Quiet = time.Duration(quietShare * float64(o.Window))
	}
	if o.CPU == nil {
		o.CPU = processCPU
	}
	if o.Allocated == nil {
		o.Allocated = heapAllocated
	}
	if o.Realloc == 0 {
		o.Realloc = reallocBytes
	}
	if o.Retrim <= 0 {
		o.Retrim = retrimWindows
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.freeOS == nil {
		o.freeOS = freeGoMemory
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &idleTrim{o: o, cancel: cancel, done: make(chan struct{})}
	go t.run(ctx)
	return t
}

// Close stops the trimmer, cutting a trim in progress short, and waits
// for it to end.
func (t *idleTrim) Close() {
	t.cancel()
	<-t.done
}

func (t *idleTrim) run(ctx context.Context) {
	defer close(t.done)
	tick := time.NewTicker(t.o.Window)
	defer tick.Stop()
	last := t.o.CPU()
	// What start-up allocated (the schema migration, the recovery sweep,
	// the modems' first commands) is worth a trim too.
	worked := true
	var trimmedAt uint64 // the heap's allocations at the last trim
	since := 0           // windows since the last trim
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		since++
		now := t.o.CPU()
		if now-last >= t.o.Quiet {
			worked = true
		} else if worked || since >= t.o.Retrim && t.o.Allocated()-trimmedAt >= t.o.Realloc {
			t.trim(ctx)
			worked, since = false, 0
			trimmedAt = t.o.Allocated()
			now = t.o.CPU() // the trim's own work does not count
		}
		last = now
	}
}

func (t *idleTrim) trim(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, trimTimeout)
	defer cancel()
	start, cpu := time.Now(), processCPU()
	if t.o.Trim != nil {
		if err := t.o.Trim(ctx); err != nil && ctx.Err() == nil {
			t.o.Logger.Warn("giving memory back after a quiet spell", "err", err)
		}
	}
	t.o.freeOS()
	if t.o.Logger.Enabled(ctx, slog.LevelDebug) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.o.Logger.Debug("memory given back after a quiet spell", "took", time.Since(start), "cpu", processCPU()-cpu,
			"go_heap_in_use", ms.HeapInuse, "go_held", ms.Sys-ms.HeapReleased)
	}
}

// freeGoMemory returns the Go heap's free memory to the kernel, with the
// goroutine stacks shrunk first. A garbage collection halves a stack that
// uses under a quarter of it, once per collection, so the stacks that grew
// during a busy spell (to 32 kB and more, for goroutines that need 8 kB
// when idle) take several collections to come back: it collects until
// the stacks stop shrinking, at most stackCollections times, each cheap
// on the small heap of a quiet daemon. A stack given up in one collection
// is counted until the next, hence two without change to stop.
func freeGoMemory() {
	prev, still := stackBytes(), 0
	for range stackCollections {
		runtime.GC()
		n := stackBytes()
		if n >= prev {
			if still++; still == 2 {
				break
			}
		} else {
			still = 0
		}
		prev = n
	}
	debug.FreeOSMemory()
}

const stackCollections = 8

// stackBytes is the heap memory held for goroutine stacks.
func stackBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// heapAllocated is the bytes the Go heap has allocated since the start.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// processCPU is the CPU time, user and system, the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// storeTrim is the store's way of giving its caches back, when its
// driver has one (store/sqlite).
func storeTrim(st Store) func(context.Context) error {
	if t, ok := st.(interface{ Trim(context.Context) error }); ok {
		return t.Trim
	}
	return nil
}
