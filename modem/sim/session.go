package sim

import (
	"sync"
)

// session is one plug-in of a modem: a pty with a reader goroutine feeding
// the owner and a writer goroutine draining an unbounded output queue, so a
// client that stops reading never blocks the modem's state machine.
type session struct {
	p *pty

	mu     sync.Mutex
	out    []byte
	kick   chan struct{}
	closed chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newSession(m *Modem, p *pty) *session {
	s := &session{p: p, kick: make(chan struct{}, 1), closed: make(chan struct{})}
	s.wg.Add(2)
	go s.reader(m)
	go s.writer()
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
		if _, err := s.p.master.Write(b); err != nil {
			return
		}
	}
}

// maxQueued bounds the output nobody reads: like a USB modem whose host
// stopped reading, further output is lost rather than buffered forever.
const maxQueued = 64 << 10

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
