package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed assets
var assetFS embed.FS

//go:embed templates/page.html
var pageHTML string

// asset is one embedded file, kept in memory as it is and gzipped once,
// by the first request that takes gzip, so that serving it costs a Pi no
// compression work. Not at start: a daemon whose dashboard nobody opens
// would pay the compressor's 0.8 MB of state and its code's pages.
type asset struct {
	body   []byte
	gzOnce sync.Once
	gz     []byte // nil if it could not be compressed
	ctype  string
	etag   string
}

// gzipped is the body gzipped at the best compression, made on first use.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body)
		if zw.Close() == nil {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

type assetSet struct {
	files map[string]*asset
}

func loadAssets() (*assetSet, error) {
	set := &assetSet{files: map[string]*asset{}}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := assetTypes[path.Ext(p)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		set.files[path.Base(p)] = &asset{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	return set, nil
}

// assetTypes are the content types of the embedded assets. A fixed table
// rather than mime.TypeByExtension: that one reads the system's MIME
// databases on first use (/etc/mime.types on Debian: some 0.4 MB the
// daemon then keeps for its life, for three file types), and a
// system's table can differ from the builtin one.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// url is where a page loads the asset from: its content hash in the query,
// so a browser may keep it for a year and still gets the new one after an
// upgrade.
func (s *assetSet) url(name string) string {
	a := s.files[name]
	if a == nil {
		return "/ui/assets/" + name
	}
	return "/ui/assets/" + name + "?v=" + strings.Trim(a.etag, `"`)
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/ui/assets/")
	a := h.assets.files[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, a)
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("Vary", "Accept-Encoding")
	if v := r.URL.Query().Get("v"); v != "" && `"`+v+`"` == a.etag {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		if gz := a.gzipped(); gz != nil {
			hd.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (h *Handler) favicon(w http.ResponseWriter, r *http.Request) {
	a := h.assets.files["icon.svg"]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, a)
}
