package sim

import (
	"sync"
	"sync/atomic"
	"time"
)

// session is one plug-in of a modem: a pty with a reader goroutine feeding
// the owner and a writer goroutine draining an unbounded output queue, so a
// client that stops reading never blocks the modem's state machine.
type session struct {
	p *pty
	// fragment, when set, makes the writer hand the bytes to the pty in
	// small pieces with short pauses, so reads split lines (and the prompt)
	// at arbitrary places, as on a slow UART or a busy USB bus.
	fragment atomic.Bool

	mu     sync.Mutex
	out    []byte
	kick   chan struct{}
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newSession(m *Modem, p *pty) *session {
	s := &session{p: p, kick: make(chan struct{}, 1), closed: make(chan struct{})}
	s.wg.Add(3)
	go s.reader(m)
	go s.writer()
	go func() {
		defer s.wg.Done()
		p.watchCloses()
	}()
	return s
}

func (s *session) reader(m *Modem) {
	defer s.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := s.p.master.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			m.post(func() {
				if m.sess == s {
					m.input(data)
				}
			})
		}
		if err != nil {
			return
		}
	}
}

func (s *session) writer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.kick:
		case <-s.closed:
			return
		}
		s.mu.Lock()
		b := s.out
		s.out = nil
		s.mu.Unlock()
		if len(b) == 0 {
			continue
		}
		if s.fragment.Load() {
			if !s.writeFragmented(b) {
				return
			}
			continue
		}
		if _, err := s.p.master.Write(b); err != nil {
			return
		}
	}
}

// maxQueued bounds the output nobody reads: like a USB modem whose host
// stopped reading, further output is lost rather than buffered forever.
const maxQueued = 64 << 10

func (s *session) writeFragmented(b []byte) bool {
	for i := 0; len(b) > 0; i++ {
		n := min(len(b), 1+i%5)
		if _, err := s.p.master.Write(b[:n]); err != nil {
			return false
		}
		b = b[n:]
		select {
		case <-s.closed:
			return false
		case <-time.After(200 * time.Microsecond):
		}
	}
	return true
}

func (s *session) write(b []byte) {
	s.mu.Lock()
	if len(s.out)+len(b) <= maxQueued {
		s.out = append(s.out, b...)
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// close ends the session; the client sees the port vanish.
func (s *session) close() {
	s.once.Do(func() {
		close(s.closed)
		s.p.close()
		s.wg.Wait()
	})
}
