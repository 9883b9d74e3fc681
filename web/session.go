package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"smsgw"
)

const (
	cookieName = "smsgw_session"
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf"
	// preCookie carries the sign-in form's own CSRF token before there is
	// a session (double submit): a page elsewhere cannot read it, so it
	// cannot sign the browser in with a token of its choosing.
	preCookie = "smsgw_signin"
)

// session is one signed-in browser. The map is keyed by the hash of the
// cookie value, so a memory dump or a timing difference in the map lookup
// does not give away a usable cookie.
type session struct {
	key     [32]byte
	csrf    string
	scope   smsgw.Scope
	created time.Time
	expires time.Time
}

type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	max int
	ttl time.Duration
	now func() time.Time
}

func newSessions(max int, ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, max: max, ttl: ttl, now: now}
}

// randomToken returns 32 random bytes, URL-safe base64.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns the cookie value that names it.
func (s *sessions) create(scope smsgw.Scope) (string, *session) {
	id := randomToken()
	now := s.now()
	se := &session{key: sha256.Sum256([]byte(id)), csrf: randomToken(), scope: scope, created: now, expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
	for len(s.m) >= s.max {
		var oldest *session
		for _, v := range s.m {
			if oldest == nil || v.created.Before(oldest.created) {
				oldest = v
			}
		}
		delete(s.m, oldest.key)
	}
	s.m[se.key] = se
	return id, se
}

// get returns the live session the cookie value names, or nil.
func (s *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.m[k]
	if se == nil {
		return nil
	}
	if !s.now().Before(se.expires) {
		delete(s.m, k)
		return nil
	}
	return se
}

func (s *sessions) fromRequest(r *http.Request) *session {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	return s.get(c.Value)
}

func (s *sessions) remove(id string) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

func (s *sessions) clear() {
	s.mu.Lock()
	clear(s.m)
	s.mu.Unlock()
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// sessionCookie is the cookie for a session: HttpOnly (the script never
// needs it), SameSite=Strict (no other site's page makes the browser send
// it), Secure on TLS, expiring with the session.
func sessionCookie(r *http.Request, value string, expires, now time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: cookieName, Value: value, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}
	if value == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	} else {
		c.Expires = expires
		c.MaxAge = int(expires.Sub(now).Seconds())
		if c.MaxAge < 1 {
			c.MaxAge = 1
		}
	}
	return c
}
