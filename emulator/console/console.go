// Package console is flexemu's browser console: a plain HTML/CSS/JS page,
// embedded in the binary, that shows the emulator live (over the control
// API's read model and its timeline stream) and lets a developer act as an
// agent. It has no build step and loads nothing from anywhere else: every
// request it makes stays on the emulator's address.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console's assets are served; the page itself is at /.
const Prefix = "/console/"

// policy keeps the page to its own origin: scripts, styles, images and
// fetch/websocket connections from the emulator's address only, and no
// framing by other sites.
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the console: GET / (and HEAD) answers index.html, and
// /console/<name> its assets. Anything else is a 404.
func Handler() http.Handler { return handler }

var handler = build()

func build() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			twilio.WriteError(w, twilio.NewError(http.StatusMethodNotAllowed, twilio.CodeMethodNotAllowed,
				"the console's page and assets answer GET and HEAD only, not %s", r.Method))
			return
		}
		name := ""
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html" || r.URL.Path == strings.TrimSuffix(Prefix, "/") || r.URL.Path == Prefix:
			name = "index.html"
		case strings.HasPrefix(r.URL.Path, Prefix):
			name = path.Clean(strings.TrimPrefix(r.URL.Path, Prefix))
		}
		if name == "" || name == "." || strings.HasPrefix(name, "..") || !fs.ValidPath(name) {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
		data, err := fs.ReadFile(sub, name)
		if err != nil {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType(name))
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(data)
		}
	})
}

// Serves reports whether Handler answers path p (the page or an asset path).
func Serves(p string) bool {
	return p == "/" || p == "/index.html" || p == strings.TrimSuffix(Prefix, "/") || strings.HasPrefix(p, Prefix)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}
