// Package httpd is smsgw's HTTP layer: the listeners (TCP, unix sockets and
// systemd socket activation), the server with its connection timeouts, and
// the mounting of the API on them.
package httpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"smsgw/wire"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
)

// ErrInsecureListener is returned by Listen for a non-loopback address
// when no API token is configured.
var ErrInsecureListener = errors.New("refusing to listen on a non-loopback address without an API token")

// DefaultAddr is where the API listens when the config names no address.
const DefaultAddr = wire.DefaultAddr

// ListenConfig says where and how the API listens.
type ListenConfig struct {
	// Addr is a TCP address ("127.0.0.1:8787", "[::1]:8787", ":8787"),
	// "unix:/path/to/socket", or "systemd" to require socket activation.
	// When the process was socket-activated (LISTEN_FDS set for it), the
	// passed socket is used whatever Addr says.
	Addr string
	// HaveTokens reports whether at least one API token is configured; a
	// listener that is reachable from other hosts is refused without one.
	HaveTokens bool
	// TLSCert and TLSKey are PEM file paths; both set turns TLS on.
	TLSCert, TLSKey string
	// SocketMode is the permission of a unix socket (default 0660).
	SocketMode fs.FileMode
}

// Listen opens the API listener described by c. It refuses (with
// ErrInsecureListener and the reason) to listen on a non-loopback TCP
// address when no token is configured. Unix sockets are local by nature and
// allowed without a token; a stale socket file left by a crash is removed.
func Listen(c ListenConfig) (net.Listener, error) {
	ln, err := listenRaw(c)
	if err != nil {
		return nil, err
	}
	if c.TLSCert != "" || c.TLSKey != "" {
		if c.TLSCert == "" || c.TLSKey == "" {
			ln.Close()
			return nil, fmt.Errorf("api: TLS needs both a certificate and a key file")
		}
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("api: load TLS key pair: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	return ln, nil
}

func listenRaw(c ListenConfig) (net.Listener, error) {
	// Socket activation wins: systemd already bound the address the unit
	// file names, and the daemon runs as a user that may not be able to.
	lns, err := activation.Listeners()
	if err != nil {
		return nil, fmt.Errorf("api: systemd socket activation: %w", err)
	}
	for _, l := range lns {
		if l == nil {
			continue
		}
		if err := checkExposure(l.Addr(), c.HaveTokens); err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	}
	addr := c.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	if addr == "systemd" {
		return nil, fmt.Errorf("api: listen = \"systemd\" but no socket was passed by systemd (is smsgw.socket enabled?)")
	}
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return listenUnix(path, c.SocketMode)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("api: listen address %q: %w", addr, err)
	}
	if !c.HaveTokens && !isLoopbackHost(host) {
		return nil, fmt.Errorf("api: listen %q: %w; set [server] tokens or listen on 127.0.0.1 or a unix: socket", addr, ErrInsecureListener)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return ln, nil
}

func checkExposure(a net.Addr, haveTokens bool) error {
	if haveTokens {
		return nil
	}
	if ta, ok := a.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		return fmt.Errorf("api: socket-activated listener %s: %w; set [server] tokens or bind the socket to 127.0.0.1", a, ErrInsecureListener)
	}
	return nil
}

// isLoopbackHost: "localhost" and loopback IPs are local; an empty host
// (":8787") binds every interface and is not.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func listenUnix(path string, mode fs.FileMode) (net.Listener, error) {
	if path == "" {
		return nil, fmt.Errorf("api: empty unix socket path")
	}
	if mode == 0 {
		mode = 0o660
	}
	// A socket file left behind by a crash makes bind fail; remove it only
	// when nothing answers on it, so a second daemon cannot steal the first
	// one's socket.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("api: unix socket %s is in use by another process", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("api: remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if err := os.Chmod(path, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api: chmod %s: %w", path, err)
	}
	return ln, nil
}

// ServerConfig bounds every connection. Zero fields take the defaults.
type ServerConfig struct {
	ReadHeaderTimeout time.Duration // default 5s
	ReadTimeout       time.Duration // default 30s
	WriteTimeout      time.Duration // default 30s; the event stream lifts it for itself
	IdleTimeout       time.Duration // default 120s
	MaxHeaderBytes    int           // default 64 KiB
}

// NewServer returns an http.Server for h with connection timeouts set. The
// caller serves it on a listener from Listen: srv.Serve(ln), and stops it
// with srv.Shutdown(ctx) (close the Handler's event streams first with
// Handler.Close so Shutdown does not wait for them).
func NewServer(h http.Handler, c ServerConfig) *http.Server {
	def := func(d, v time.Duration) time.Duration {
		if d == 0 {
			return v
		}
		return d
	}
	mhb := c.MaxHeaderBytes
	if mhb == 0 {
		mhb = 64 << 10
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: def(c.ReadHeaderTimeout, 5*time.Second),
		ReadTimeout:       def(c.ReadTimeout, 30*time.Second),
		WriteTimeout:      def(c.WriteTimeout, 30*time.Second),
		IdleTimeout:       def(c.IdleTimeout, 120*time.Second),
		MaxHeaderBytes:    mhb,
	}
}
