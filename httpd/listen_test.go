package httpd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestListenRefusesExposedWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, err := Listen(ListenConfig{Addr: addr})
		if !errors.Is(err, ErrInsecureListener) {
			t.Fatalf("%s: %v", addr, err)
		}
		if !strings.Contains(err.Error(), "tokens") {
			t.Fatalf("the error does not say what to do: %v", err)
		}
	}
	ln, err := Listen(ListenConfig{Addr: "0.0.0.0:0", HaveTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		ln, err := Listen(ListenConfig{Addr: addr})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		ln.Close()
	}
	if _, err := Listen(ListenConfig{Addr: "no-port"}); err == nil {
		t.Fatal("bad address accepted")
	}
	if _, err := Listen(ListenConfig{Addr: "systemd"}); err == nil || !strings.Contains(err.Error(), "smsgw.socket") {
		t.Fatalf("systemd without a socket: %v", err)
	}
}

func TestListenUnixAndServe(t *testing.T) {
	h := healthOK()
	path := filepath.Join(t.TempDir(), "api.sock")
	// A stale socket file from a crash is replaced.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	ln, err := Listen(ListenConfig{Addr: "unix:" + path})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v %v", fi.Mode(), err)
	}
	// A live socket is not stolen.
	if _, err := Listen(ListenConfig{Addr: "unix:" + path}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second listener: %v", err)
	}
	srv := NewServer(h, ServerConfig{})
	go srv.Serve(ln)
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	resp, err := c.Get("http://unix/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.ReadHeaderTimeout == 0 {
		t.Fatalf("timeouts not set: %+v", srv)
	}
}

func TestListenTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeSelfSigned(t, dir)
	if _, err := Listen(ListenConfig{Addr: "127.0.0.1:0", TLSCert: certFile}); err == nil {
		t.Fatal("cert without key accepted")
	}
	ln, err := Listen(ListenConfig{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(healthOK(), ServerConfig{})
	go srv.Serve(ln)
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get("https://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("%d tls=%v", resp.StatusCode, resp.TLS != nil)
	}
}

func writeSelfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cf, kf
}

func TestCheckExposure(t *testing.T) {
	if err := checkExposure(&net.TCPAddr{IP: net.IPv4(0, 0, 0, 0), Port: 1}, false); err == nil {
		t.Fatal("activated 0.0.0.0 listener without token accepted")
	}
	if err := checkExposure(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, false); err != nil {
		t.Fatal(err)
	}
	if err := checkExposure(&net.UnixAddr{Name: "/run/x", Net: "unix"}, false); err != nil {
		t.Fatal(err)
	}
	if err := checkExposure(&net.TCPAddr{IP: net.IPv4(0, 0, 0, 0), Port: 1}, true); err != nil {
		t.Fatal(err)
	}
}

// healthOK stands for the API behind the listener: these tests are about
// the listener and the server around it.
func healthOK() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
}
