package console_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/console"
)

func serve(method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	console.Handler().ServeHTTP(rec, httptest.NewRequest(method, "http://127.0.0.1:7070"+path, nil))
	return rec
}

func TestPageAndAssets(t *testing.T) {
	for path, ctype := range map[string]string{
		"/":                  "text/html; charset=utf-8",
		"/console/":          "text/html; charset=utf-8",
		"/console/app.js":    "text/javascript; charset=utf-8",
		"/console/style.css": "text/css; charset=utf-8",
	} {
		rec := serve("GET", path)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ctype || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d %q (%d bytes)", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	if rec := serve("HEAD", "/"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestPageLoadsNothingFromElsewhere: no CDN, no external fonts, no absolute
// URLs in what the page loads.
func TestPageLoadsNothingFromElsewhere(t *testing.T) {
	ext := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:|//)`)
	for _, p := range []string{"/", "/console/app.js", "/console/style.css"} {
		if m := ext.FindString(serve("GET", p).Body.String()); m != "" {
			t.Errorf("%s refers to another host: %q", p, m)
		}
	}
	page := serve("GET", "/").Body.String()
	for _, want := range []string{`<html lang="en">`, "<title>flexemu console</title>", `name="viewport"`,
		`<label for="reply-body">Reply</label>`, `<label for="customer-body">Customer message</label>`,
		`>Send</button>`, `>Wrap up</button>`, `>Complete</button>`, `>Send customer message</button>`} {
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}

func TestErrorsAreTwilioJSON(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/console/nope.js", 404},
		{"GET", "/console/../go.mod", 404},
		{"GET", "/elsewhere", 404},
		{"POST", "/", 405},
	} {
		rec := serve(c.method, c.path)
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  int    `json:"status"`
		}
		if rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Status != c.status || e.Code == 0 {
			t.Errorf("%s %s = %d %s", c.method, c.path, rec.Code, rec.Body)
		}
	}
}

func TestServes(t *testing.T) {
	for p, want := range map[string]bool{"/": true, "/console/app.js": true, "/console": true,
		"/emulator/v1/info": false, "/taskrouter/v1/Workspaces": false, "/consoles": false} {
		if console.Serves(p) != want {
			t.Errorf("Serves(%q) = %v", p, !want)
		}
	}
}
