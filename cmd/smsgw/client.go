package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"smsgw/wire"
	"strings"
	"sync/atomic"
	"time"

	"smsgw"
)

// Exit codes of the client subcommands. They are chosen so that a wrapper
// which retries on failure (cron, Zabbix, Nagios) never sends twice: only
// exitRefused, exitUsage, exitFailed and exitUnreachable say that nothing is
// queued; exitTimeout and exitUnknown say the message is (or may be) in the
// queue and must not be sent again. README.md and the man page list them.
const (
	exitOK      = 0
	exitRefused = 1 // the daemon answered 4xx (bad number, bad token...): nothing queued
	exitUsage   = 2 // bad flags, or --wait with a token that may not read: nothing sent
	exitFailed  = 3 // send --wait: failed, expired or cancelled: not sent
	exitTimeout = 4 // send --wait: still queued or sending at --timeout; it may still go out
	// exitUnknown: queued, or perhaps queued, but the outcome cannot be
	// known: the message ended uncertain (it may have reached the network),
	// or contact with the daemon was lost after the request went out.
	exitUnknown = 5
	// exitUnreachable: no connection to the daemon, or it answered 5xx:
	// nothing queued, try again later (EX_TEMPFAIL, as smsgw-notify.sh).
	exitUnreachable = 75
)

// client talks to the daemon's HTTP API. The address comes from --addr or
// SMSGW_ADDR: "host:port", "http(s)://host:port" or "unix:/path/to.sock";
// the token from SMSGW_TOKEN (never a flag, so it stays out of ps).
type client struct {
	base string
	// where names the daemon in errors: the address as given, so that a
	// unix socket reads as unix:/path rather than the URL it is dialled by.
	where string
	hc    *http.Client // requests with a timeout
	sse   *http.Client // the event stream: no overall timeout
	token string
}

// addrFlag registers --addr with SMSGW_ADDR as its default.
func addrFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("SMSGW_ADDR")
	if def == "" {
		def = wire.DefaultAddr
	}
	return fs.String("addr", def, "daemon `ADDR`ess: host:port, http(s)://host:port or unix:/path (env SMSGW_ADDR)")
}

func newClient(addr string) (*client, error) {
	c := &client{token: os.Getenv("SMSGW_TOKEN"), where: addr}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	switch {
	case strings.HasPrefix(addr, "unix:"):
		path := strings.TrimPrefix(addr, "unix:")
		if path == "" {
			return nil, errors.New("--addr unix: needs a socket path")
		}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		c.base = "http://smsgw"
	case strings.HasPrefix(addr, "http://"), strings.HasPrefix(addr, "https://"):
		u, err := url.Parse(addr)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--addr %q: not a URL", addr)
		}
		c.base = strings.TrimSuffix(addr, "/")
	default:
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("--addr %q: want host:port, http(s)://host:port or unix:/path", addr)
		}
		c.base = "http://" + addr
	}
	c.hc = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	c.sse = &http.Client{Transport: tr}
	return c, nil
}

// transportCause drops the "Post \"http://smsgw/...\":" the HTTP client puts
// before a transport error: the URL is an internal one for a unix socket,
// and the message names the address as given instead.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// apiError is an error answer of the API.
type apiError struct {
	Status int
	Body   wire.Error
}

func (e *apiError) Error() string {
	msg := e.Body.Message
	if e.Body.Field != "" {
		msg += " (" + e.Body.Field + ")"
	}
	return fmt.Sprintf("%s: %s", http.StatusText(e.Status), msg)
}

func (c *client) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "smsgw-cli/"+version)
	return req, nil
}

// do sends a request and decodes a 2xx JSON answer into out (when not nil).
func (c *client) do(ctx context.Context, method, path string, body, out any, hdr ...string) error {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// Whether the whole request was written decides what a transport error
	// means: before that the daemon cannot have acted on it; after, a send
	// may have been queued even though no answer came back.
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	}))
	resp, err := c.hc.Do(req)
	if err != nil {
		err = transportCause(err)
		if !wrote.Load() {
			return &unsentError{fmt.Errorf("cannot reach smsgw at %s: %w", c.where, err)}
		}
		return fmt.Errorf("no answer from smsgw at %s after the request went out: %w", c.where, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error *wire.Error `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			return &apiError{Status: resp.StatusCode, Body: *eb.Error}
		}
		return &apiError{Status: resp.StatusCode, Body: wire.Error{Message: strings.TrimSpace(string(b))}}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decoding the answer: %w", err)
		}
	}
	return nil
}

// events opens /v1/events; the returned channel yields events until ctx
// ends or the stream breaks (then it is closed and errc says why).
func (c *client) events(ctx context.Context, filter string) (<-chan smsgw.Event, <-chan error, error) {
	path := "/v1/events"
	if filter != "" {
		path += "?event=" + url.QueryEscape(filter)
	}
	req, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.sse.Do(req)
	if err != nil {
		err = transportCause(err)
		// A GET changes nothing: whatever broke, nothing was done.
		return nil, nil, &unsentError{fmt.Errorf("cannot reach smsgw at %s: %w", c.where, err)}
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var eb struct {
			Error *wire.Error `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			return nil, nil, &apiError{Status: resp.StatusCode, Body: *eb.Error}
		}
		return nil, nil, fmt.Errorf("event stream: %s", resp.Status)
	}
	rd := bufio.NewReader(resp.Body)
	// The server writes a comment as soon as the subscription exists: after
	// reading it, no event published later can be missed.
	if _, err := rd.ReadString('\n'); err != nil {
		resp.Body.Close()
		return nil, nil, fmt.Errorf("event stream: %w", err)
	}
	ch := make(chan smsgw.Event)
	errc := make(chan error, 1)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		var data strings.Builder
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				if ctx.Err() == nil {
					errc <- fmt.Errorf("event stream: %w", err)
				}
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				if data.Len() > 0 {
					var ev smsgw.Event
					if json.Unmarshal([]byte(data.String()), &ev) == nil {
						select {
						case ch <- ev:
						case <-ctx.Done():
							return
						}
					}
					data.Reset()
				}
			case strings.HasPrefix(line, "data:"):
				data.WriteString(strings.TrimSpace(strings.TrimPrefix(line, "data:")))
			}
		}
	}()
	return ch, errc, nil
}

// fail prints an error for a client subcommand and returns its exit code:
// exitUnreachable when the daemon could not be reached or failed (5xx),
// exitRefused when it answered 4xx or its answer made no sense.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "smsgw %s: %v\n", cmd, err)
	if unreachable(err) || serverFault(err) {
		return exitUnreachable
	}
	return exitRefused
}

// unsentError is a transport failure before the request was completely
// written: the daemon cannot have acted on it.
type unsentError struct{ err error }

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }

// unreachable reports whether err means the daemon never got the request.
func unreachable(err error) bool {
	var ue *unsentError
	var op *net.OpError
	return errors.As(err, &ue) || errors.As(err, &op) && op.Op == "dial"
}

// serverFault reports whether the daemon answered with a 5xx.
func serverFault(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status >= 500
}

// statusOf returns the HTTP status of an API error answer, or 0.
func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// parseSince reads an RFC 3339 time or a duration ago ("2h", "30m").
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time, a date (2006-01-02) or a duration such as 2h", s)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// idArg parses the flags of a command that takes one message id, which may
// stand before or after the flags (smsgw status 42 --json). When done, the
// command exits with code (help shown, or a usage error).
func idArg(fs *flag.FlagSet, doc usageDoc, args []string, stdout, stderr io.Writer) (id string, code int, done bool) {
	pos, code, done := parseFlags(fs, doc, args, stdout, stderr)
	switch {
	case done:
		return "", code, true
	case len(pos) == 0:
		return "", usageError(stderr, fs, doc, "a message ID is needed"), true
	case len(pos) > 1:
		return "", usageError(stderr, fs, doc, "one message ID, not %d", len(pos)), true
	}
	return pos[0], 0, false
}
