package eventbridge

import (
	"net/http"
	"strings"
)

// CORS for browser agent desktops: the SDK's custom headers (apiVersion,
// clientVersion, If-Match) force a preflight. These endpoints authenticate
// with the Access Token in every request, not with cookies, so any origin
// may call them, as Twilio's event bridge allows.

// allowedHeaders are the request headers the SDK sends.
var allowedHeaders = []string{"apiVersion", "clientVersion", "Content-Type", "If-Match"}

// allowOrigin lets the calling page read the answer.
func allowOrigin(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
	}
}

// preflight answers an OPTIONS request: 204 with the methods and headers
// the SDK uses (plus any other the browser asks for).
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if h.Get("Access-Control-Allow-Origin") == "" {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	headers := append([]string(nil), allowedHeaders...)
	for _, req := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		req = strings.TrimSpace(req)
		if req == "" {
			continue
		}
		known := false
		for _, a := range headers {
			if strings.EqualFold(a, req) {
				known = true
				break
			}
		}
		if !known {
			headers = append(headers, req)
		}
	}
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
