// Package logging builds the daemon's logger from its Options (the [log]
// table, mapped by internal/daemon): text,
// JSON or journald's priority-prefixed lines, with URL credentials and
// (unless [log] content) message content scrubbed from every record.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"

	"smsgw/internal/callback"
)

// Options are the logger's settings (the [log] table).
type Options struct {
	// Level is debug, info, warn or error.
	Level string
	// Format is auto (journal under systemd, else text), text, json or
	// journal; empty means auto.
	Format string
	// Content lets message texts, numbers and PDUs into the log; off,
	// they are replaced by "[content]".
	Content bool
}

// New builds the daemon's logger: one line per event. Under systemd
// (format "journal", or "auto" when stderr is the journal stream) each line
// starts with a <N> syslog priority and carries no time stamp, since
// journald adds both; otherwise it is slog's text or JSON format.
func New(c Options, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: scrubber(c.Content)}
	format := c.Format
	if format == "auto" || format == "" {
		format = "text"
		if ok, _ := journal.StderrIsJournalStream(); ok {
			format = "journal"
		}
	}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "journal":
		h = newJournalHandler(w, opts)
	default:
		return nil, fmt.Errorf("log.format: unknown %q", c.Format)
	}
	return slog.New(keyGuard{h}), nil
}

// builtinKeys are the keys slog writes for every record itself.
var builtinKeys = map[string]bool{slog.TimeKey: true, slog.LevelKey: true, slog.MessageKey: true, slog.SourceKey: true}

// keyGuard renames a top-level attribute that would repeat one of slog's
// own keys ("msg" for a message id once made JSON lines carry "msg" twice,
// and jq and log shippers keep only one of them) to "attr_"+key, so every
// line has each key once whatever a caller passes.
type keyGuard struct{ h slog.Handler }

func guardAttr(a slog.Attr) slog.Attr {
	if builtinKeys[a.Key] {
		a.Key = "attr_" + a.Key
	}
	return a
}

func (g keyGuard) Enabled(ctx context.Context, l slog.Level) bool { return g.h.Enabled(ctx, l) }

func (g keyGuard) Handle(ctx context.Context, r slog.Record) error {
	clash := false
	r.Attrs(func(a slog.Attr) bool {
		clash = builtinKeys[a.Key]
		return !clash
	})
	if clash {
		nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool {
			nr.AddAttrs(guardAttr(a))
			return true
		})
		r = nr
	}
	return g.h.Handle(ctx, r)
}

func (g keyGuard) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = guardAttr(a)
	}
	return keyGuard{g.h.WithAttrs(out)}
}

// WithGroup: attributes inside a group are qualified by it and cannot
// clash, so the handler under the group needs no guard.
func (g keyGuard) WithGroup(name string) slog.Handler {
	if name == "" {
		return g
	}
	return g.h.WithGroup(name)
}

// journalHandler prefixes each text line with its sd-daemon(3) priority.
// The inner TextHandler writes a whole line per Write; the shared mutex
// keeps prefix and line together across handlers derived by With.
type journalHandler struct {
	inner slog.Handler
	out   *prefixWriter
}

type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	// Called with mu held by Handle.
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}

func newJournalHandler(w io.Writer, opts *slog.HandlerOptions) *journalHandler {
	pw := &prefixWriter{w: w}
	o := *opts
	scrub := opts.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{} // journald records time and priority itself
		}
		if scrub != nil {
			return scrub(groups, a)
		}
		return a
	}
	return &journalHandler{inner: slog.NewTextHandler(pw, &o), out: pw}
}

func (h *journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	h.out.prefix = journalPrefix(r.Level)
	return h.inner.Handle(ctx, r)
}

func (h *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &journalHandler{inner: h.inner.WithAttrs(as), out: h.out}
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	return &journalHandler{inner: h.inner.WithGroup(name), out: h.out}
}

func journalPrefix(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "<3>"
	case l >= slog.LevelWarn:
		return "<4>"
	case l >= slog.LevelInfo:
		return "<6>"
	}
	return "<7>"
}

// contentKeys are the log attributes that carry message content: texts,
// PDUs (which hold text and numbers), raw AT lines and phone numbers.
var contentKeys = map[string]bool{
	"pdu": true, "text": true, "line": true, "urc": true, "dropped": true, "body": true,
	"from": true, "to": true, "number": true, "sender": true, "recipient": true, "phone": true,
}

// scrubber returns the ReplaceAttr function every log line goes through:
// URLs lose their user info and query string wherever they appear (in a
// message, a string or an error, such as the *url.Error of a failed
// webhook), and, unless content is true ([log] content), message content
// is replaced by "[content]" whatever the level. Keying on attribute
// names keeps the rule in one place for every package that logs.
func scrubber(content bool) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		v := a.Value.Resolve()
		if !content && contentKeys[a.Key] && (v.Kind() == slog.KindString || v.Kind() == slog.KindAny) {
			return slog.String(a.Key, "[content]") // a count under such a key is no content
		}
		switch v.Kind() {
		case slog.KindString:
			if s := v.String(); strings.Contains(s, "://") {
				return slog.String(a.Key, callback.RedactText(s))
			}
		case slog.KindAny:
			if err, ok := v.Any().(error); ok && err != nil {
				if s := err.Error(); strings.Contains(s, "://") {
					return slog.String(a.Key, callback.RedactText(s))
				}
			}
		}
		return a
	}
}
