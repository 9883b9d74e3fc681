package httpd

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/api"
)

// Site is a further route set served on the API's listener: the
// dashboard's pages. It is the seam between the HTTP layer and a package
// of pages (web), which implements it with the standard library's and the
// root package's types only, so it imports neither httpd nor api; the
// daemon hands it to Options.Sites.
//
// The HTTP layer mounts a site's routes after every API route (an API path
// is never a page's) and wraps each page as it wraps API routes:
//
//   - the browser-origin guard (Host names this daemon when there are no
//     tokens; a state-changing request sent by another site's page is
//     refused);
//   - the body limit of the API;
//   - authentication: a bearer token, or any site's Authenticate (the
//     session cookie). The caller is in the request's context
//     (smsgw.CallerFrom) whenever one is known, also on open pages;
//     without tokens a request nobody authenticated is a local caller of
//     full scope;
//   - a state-changing request (any method but GET, HEAD and OPTIONS) that
//     Authenticate accepted must pass the site's CheckCSRF, on the site's
//     pages and on the API's routes alike; on an open page (NeedNone,
//     such as the login form) it is answered in nobody's name instead;
//   - the route's Need against the caller's scope;
//   - request metrics under the page's path template.
//
// What the HTTP layer refuses on a page is written by the site's Refuse
// (a login redirect, an error page), never in the API's JSON.
type Site interface {
	Authenticator
	// Routes calls add once per page: the method ("" for any), the path
	// template (gorilla/mux syntax: "/messages/{id}", or "/{path:.*}" for
	// a catch-all, which then also answers paths no API route takes), what
	// the caller needs, and the handler.
	Routes(add func(method, path string, need smsgw.Need, h http.Handler))
	// Refuse writes the answer to a request the HTTP layer refused on one
	// of the site's pages: status 401 (nobody authenticated on a page that
	// needs someone), 403 (a scope too small, a failed CSRF check, a
	// foreign origin), 413 or 500; code is the machine code of the API's
	// errors (unauthorized, forbidden, csrf_failed, cross_site, bad_host,
	// ...) and message a sentence.
	Refuse(w http.ResponseWriter, r *http.Request, status int, code, message string)
}

// mountSites adds every site's pages to r, after the API's routes.
func (s *Stack) mountSites(r *mux.Router) {
	for _, site := range s.opts.Sites {
		site.Routes(func(method, path string, need smsgw.Need, h http.Handler) {
			rt := r.Handle(path, s.wrapPage(site, path, need, h))
			if method != "" {
				rt.Methods(method)
			}
		})
	}
}

// wrapPage applies the shared checks (see Site) to one page.
func (s *Stack) wrapPage(site Site, route string, n smsgw.Need, h http.Handler) http.Handler {
	refuse := func(w http.ResponseWriter, r *http.Request, e *api.Error) {
		site.Refuse(w, r, e.Status, e.Code, e.Message)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("httpd: panic in page", "route", route, "panic", fmt.Sprint(v))
				if !sw.wrote {
					refuse(sw, r, api.Errorf(http.StatusInternalServerError, api.CodeInternal, "", "internal error"))
				}
			}
			s.metrics.observe(r.Method, route, sw.status(), time.Since(start))
		}()
		stateChanging := isStateChanging(r.Method)
		if e := s.guard.check(r, stateChanging, false); e != nil {
			refuse(sw, r, e)
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(sw, r.Body, s.API.MaxBodyBytes())
		}
		caller, known, e := s.auth.authorize(r, n, false, stateChanging)
		if e != nil {
			refuse(sw, r, e)
			return
		}
		if known {
			r = r.WithContext(smsgw.WithCaller(r.Context(), caller))
		}
		h.ServeHTTP(sw, r)
	})
}
