package pool

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Member is one modem the pool knows, across replugs and reconnects. Its
// methods are safe for concurrent use.
type Member struct {
	spec Spec // ID is fixed for the member's life

	mu        sync.Mutex
	port      string
	state     State
	ident     Identity
	dev       Device
	since     time.Time // state entered
	added     time.Time
	lastSeen  time.Time
	lastErr   string
	lastErrAt time.Time
	// kick ends the running session for a requested reset; nil outside a
	// session.
	kick context.CancelCauseFunc

	reconnects atomic.Int64
	sent       atomic.Int64
	failed     atomic.Int64
	received   atomic.Int64
	byCode     sync.Map // int -> *atomic.Int64
}

func newMember(s Spec, port string) *Member {
	now := time.Now()
	return &Member{spec: s, port: port, state: StateOffline, since: now, added: now}
}

// ID is the modem's name in the API, routing and logs.
func (m *Member) ID() string { return m.spec.ID }

// Spec returns the modem's settings.
func (m *Member) Spec() Spec { return m.spec }

// Port is the path the modem was last seen on.
func (m *Member) Port() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.port
}

// State is the modem's current state.
func (m *Member) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Identity is what the device said at its last init.
func (m *Member) Identity() Identity {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ident
}

// Device returns the open device while the modem is ready, else nil.
func (m *Member) Device() Device {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state != StateReady {
		return nil
	}
	return m.dev
}

// setState records a state change; err, when not nil, becomes the last
// error. It reports whether the state changed.
func (m *Member) setState(s State, err error) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.lastErr, m.lastErrAt = err.Error(), time.Now()
	}
	if m.state == s {
		return false
	}
	m.state, m.since = s, time.Now()
	if s == StateReady {
		m.lastSeen = m.since
	}
	return true
}

// NoteError records an error without changing the state (a failed send).
func (m *Member) NoteError(err error) {
	if err == nil {
		return
	}
	m.mu.Lock()
	m.lastErr, m.lastErrAt = err.Error(), time.Now()
	m.mu.Unlock()
}

// Touch records that the modem answered just now.
func (m *Member) Touch() {
	m.mu.Lock()
	m.lastSeen = time.Now()
	m.mu.Unlock()
}

func (m *Member) setDevice(port string, id Identity, dev Device) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.port, m.ident, m.dev = port, id, dev
}

func (m *Member) clearDevice(dev Device) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dev == dev {
		m.dev = nil
	}
}

// CountSent, CountFailed and CountReceived update the modem's counters.
func (m *Member) CountSent() { m.sent.Add(1) }

// CountFailed counts a failed send, by +CMS/+CME code when there is one
// (code < 0 means none).
func (m *Member) CountFailed(code int) {
	m.failed.Add(1)
	if code >= 0 {
		v, _ := m.byCode.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
}

// CountReceived counts a received part committed to the queue.
func (m *Member) CountReceived() { m.received.Add(1) }

// Status is a snapshot of a modem for status pages and the API.
type Status struct {
	ID, Port    string
	State       State
	Identity    Identity
	Tags        []string
	Since       time.Time // current state entered
	Added       time.Time
	LastSeen    time.Time
	LastError   string
	LastErrorAt time.Time
	Sent        int64
	Failed      int64
	Received    int64
	Reconnects  int64
	ByCode      map[int]int64
}

// Status returns a consistent snapshot.
func (m *Member) Status() Status {
	m.mu.Lock()
	s := Status{
		ID: m.spec.ID, Port: m.port, State: m.state, Identity: m.ident, Tags: m.spec.Tags,
		Since: m.since, Added: m.added, LastSeen: m.lastSeen, LastError: m.lastErr, LastErrorAt: m.lastErrAt,
	}
	m.mu.Unlock()
	if s.Identity.Number == "" {
		s.Identity.Number = m.spec.Number
	}
	s.Sent, s.Failed, s.Received, s.Reconnects = m.sent.Load(), m.failed.Load(), m.received.Load(), m.reconnects.Load()
	m.byCode.Range(func(k, v any) bool {
		if s.ByCode == nil {
			s.ByCode = map[int]int64{}
		}
		s.ByCode[k.(int)] = v.(*atomic.Int64).Load()
		return true
	})
	return s
}
