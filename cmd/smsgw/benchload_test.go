package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// loadConn is one keep-alive HTTP/1.1 connection of the load generator:
// it writes each request in one write from a reused buffer and reads the
// answer with net/http's response parser, without the http.Client's
// transport (its per-connection goroutines, channels and contexts cost
// about as much CPU per request as the daemon's own handler, and the two
// processes share the machine's cores).
type loadConn struct {
	c    net.Conn
	r    *bufio.Reader
	host string
	buf  []byte
}

// dialLoad connects to base ("http://host:port").
func dialLoad(base string) (*loadConn, error) {
	host, ok := strings.CutPrefix(base, "http://")
	if !ok {
		return nil, fmt.Errorf("load: %q is not an http:// address", base)
	}
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return &loadConn{c: c, r: bufio.NewReaderSize(c, 16<<10), host: host}, nil
}

// post sends body as JSON to path and returns the status, and the answer's
// body only when the status is not want.
func (l *loadConn) post(path, body string, want int) (int, string, error) {
	b := append(l.buf[:0], "POST "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, l.host...)
	b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	l.buf = b
	if _, err := l.c.Write(b); err != nil {
		return 0, "", fmt.Errorf("load: write: %w", err)
	}
	resp, err := http.ReadResponse(l.r, nil)
	if err != nil {
		return 0, "", fmt.Errorf("load: read: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == want {
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, "", err
	}
	msg, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg), err
}

func (l *loadConn) Close() error { return l.c.Close() }
