// Package web is the dashboard the daemon serves at / beside the API: a
// handful of pages that a small script fills from the v1 JSON API, a
// sign-in that turns an API token into a session cookie, and the few
// answers the API has no route for (the part counter, the statistics
// behind the charts, the effective configuration, the AT trace).
//
// Why a small client on the API rather than pages rendered on the server:
// the API already validates sends, applies token scopes and streams
// events; a dashboard that calls it cannot drift from what curl and the CLI
// see, and the server side here stays small. The pages themselves are
// static, embedded and cached, so a Raspberry Pi serves them from memory.
//
// Authentication: with tokens configured, POST /signin exchanges a token
// for an HttpOnly, SameSite=Strict session cookie that carries the
// token's scope; the HTTP layer accepts that cookie on the API too
// (Authenticate) and requires the session's CSRF token on every
// state-changing request made with it (CheckCSRF). Without tokens the
// dashboard is open, and the HTTP layer's Host and cross-site checks keep
// it to loopback as they do the API.
package web
