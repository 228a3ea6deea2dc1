package mcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// DefaultURLTTL is how long (token time) a content_direct_temporary URL works.
const DefaultURLTTL = 5 * time.Minute

// maxMediaSetList bounds the SIDs of one MediaSet command.
const maxMediaSetList = 100

// Caller is who a request authenticated as.
type Caller struct {
	AccountSID string
	Identity   string // the token's identity; empty with account credentials
	ServiceSID string // the token's chat service; empty: any of the account's
}

// Handler serves the media service under Prefix:
//
//	POST {Prefix}/v1/Services/{IS}/Media?Category=media&Filename=…   raw body (or multipart form) upload
//	GET  {Prefix}/v1/Services/{IS}/Media/{ME}                        the media record
//	GET  {Prefix}/v1/Services/{IS}/Media/{ME}/Content                the bytes (credentials, or the temporary URL's signature)
//	POST {Prefix}/v1/Services/{IS}/MediaSet                          {"command":"get","list":[{"media_sid":"ME…"}]}
//
// with CORS for browsers (any Origin; X-Twilio-Token and Content-Type).
type Handler struct {
	Store  *Store
	Prefix string // e.g. "/mcs"
	// Auth checks a request's credentials (the X-Twilio-Token header, or
	// the account's Basic auth); its error is rendered as is.
	Auth func(r *http.Request) (Caller, *twilio.Error)
	// Now is an account's clock for date_created (nil: wall time).
	Now func(accountSID string) time.Time
	// TokenNow is an account's token clock for temporary URLs (nil: Now).
	TokenNow func(accountSID string) time.Time
	// URLTTL is a temporary URL's validity (0: DefaultURLTTL).
	URLTTL time.Duration
}

// ServeHTTP routes a media service request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cors(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, h.Prefix+"/v1/Services/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) < 2 || !twilio.IsSID(parts[0], "IS") {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
		return
	}
	service := parts[0]
	switch {
	case len(parts) == 2 && parts[1] == "Media":
		h.method(w, r, http.MethodPost, func() { h.upload(w, r, service) })
	case len(parts) == 2 && parts[1] == "MediaSet":
		h.method(w, r, http.MethodPost, func() { h.mediaSet(w, r, service) })
	case len(parts) == 3 && parts[1] == "Media":
		h.method(w, r, http.MethodGet, func() { h.record(w, r, service, parts[2]) })
	case len(parts) == 4 && parts[1] == "Media" && parts[3] == "Content":
		h.method(w, r, http.MethodGet, func() { h.content(w, r, service, parts[2]) })
	default:
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	}
}

func (h *Handler) method(w http.ResponseWriter, r *http.Request, want string, serve func()) {
	if r.Method != want && !(want == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", want+", OPTIONS")
		twilio.WriteError(w, twilio.NewError(http.StatusMethodNotAllowed, twilio.CodeMethodNotAllowed,
			"Method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	serve()
}

// cors lets browser apps call the service: any Origin, the SDK's headers.
func cors(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "*"
	} else {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		allow := "X-Twilio-Token, Content-Type, Authorization"
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			allow += ", " + req
		}
		h.Set("Access-Control-Allow-Headers", allow)
		h.Set("Access-Control-Max-Age", "600")
	}
}

// caller authenticates r for service: a token bound to another chat
// service is refused.
func (h *Handler) caller(w http.ResponseWriter, r *http.Request, service string) (Caller, bool) {
	c, terr := h.Auth(r)
	if terr != nil {
		twilio.WriteError(w, terr)
		return Caller{}, false
	}
	if c.ServiceSID != "" && c.ServiceSID != service {
		twilio.WriteError(w, twilio.NewError(http.StatusForbidden, twilio.CodeForbidden,
			"The token's chat grant is for service %s, not %s", c.ServiceSID, service))
		return Caller{}, false
	}
	return c, true
}

func (h *Handler) now(accountSID string) time.Time {
	if h.Now != nil {
		return h.Now(accountSID)
	}
	return time.Now()
}

func (h *Handler) tokenNow(accountSID string) time.Time {
	if h.TokenNow != nil {
		return h.TokenNow(accountSID)
	}
	return h.now(accountSID)
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request, service string) {
	c, ok := h.caller(w, r, service)
	if !ok {
		return
	}
	q := r.URL.Query()
	m := Media{AccountSID: c.AccountSID, ServiceSID: service, Author: c.Identity,
		Category: q.Get("Category"), Filename: q.Get("Filename"), ContentType: r.Header.Get("Content-Type")}
	if m.Category == "" {
		m.Category = "media"
	}
	max := h.Store.MaxObject()
	var body io.Reader = http.MaxBytesReader(w, r.Body, max+1)
	if mt, params, err := mime.ParseMediaType(m.ContentType); err == nil && mt == "multipart/form-data" {
		// A browser FormData upload: the first part is the file.
		mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, max+64<<10), params["boundary"])
		part, err := mr.NextPart()
		if err != nil {
			twilio.WriteError(w, twilio.BadRequest("Invalid multipart upload: %v", err))
			return
		}
		m.ContentType = part.Header.Get("Content-Type")
		if m.Filename == "" {
			m.Filename = part.FileName()
		}
		body = io.LimitReader(part, max+1)
	}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	content, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(content)) > max {
		twilio.WriteError(w, twilio.NewError(http.StatusRequestEntityTooLarge, twilio.CodeInvalidParameter,
			"Media too large: the maximum is %d bytes", max))
		return
	}
	if err != nil {
		twilio.WriteError(w, twilio.BadRequest("Reading the upload: %v", err))
		return
	}
	m.DateCreated = h.now(c.AccountSID)
	rec, err := h.Store.Put(m, content)
	switch {
	case errors.Is(err, ErrFull):
		twilio.WriteError(w, twilio.NewError(http.StatusRequestEntityTooLarge, twilio.CodeInvalidParameter,
			"The account's media storage is full (%d bytes in memory); a Reset frees it", h.Store.maxPerAccount))
		return
	case err != nil:
		twilio.WriteError(w, twilio.NewError(http.StatusRequestEntityTooLarge, twilio.CodeInvalidParameter,
			"Media too large: the maximum is %d bytes", max))
		return
	}
	twilio.WriteJSON(w, http.StatusCreated, h.render(r, rec))
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request, service, sid string) {
	c, ok := h.caller(w, r, service)
	if !ok {
		return
	}
	m, ok := h.Store.Get(c.AccountSID, sid)
	if !ok || m.ServiceSID != service {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
		return
	}
	twilio.WriteJSON(w, http.StatusOK, h.render(r, m))
}

// content serves the bytes to a temporary URL's signature or to
// credentials.
func (h *Handler) content(w http.ResponseWriter, r *http.Request, service, sid string) {
	q := r.URL.Query()
	var m Media
	var data []byte
	found := false
	if q.Get("Signature") != "" {
		m, data, found = h.Store.find(sid)
		if !found || m.ServiceSID != service ||
			!h.Store.validSignature(m.AccountSID, sid, q.Get("Expires"), q.Get("Signature"), h.tokenNow(m.AccountSID)) {
			twilio.WriteError(w, twilio.NewError(http.StatusForbidden, twilio.CodeForbidden,
				"The temporary media URL is invalid or expired; fetch the media record for a new one"))
			return
		}
	} else {
		c, ok := h.caller(w, r, service)
		if !ok {
			return
		}
		m, data, found = h.Store.Content(c.AccountSID, sid)
		if !found || m.ServiceSID != service {
			twilio.WriteError(w, twilio.NotFound(r.URL.Path))
			return
		}
	}
	w.Header().Set("Content-Type", m.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, max-age=300")
	if m.Filename != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": m.Filename}))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

func (h *Handler) mediaSet(w http.ResponseWriter, r *http.Request, service string) {
	c, ok := h.caller(w, r, service)
	if !ok {
		return
	}
	var cmd struct {
		Command string `json:"command"`
		List    []struct {
			MediaSID string `json:"media_sid"`
		} `json:"list"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&cmd); err != nil {
		twilio.WriteError(w, twilio.BadRequest("Invalid MediaSet command: %v", err))
		return
	}
	if cmd.Command != "get" {
		twilio.WriteError(w, twilio.InvalidParam("command", "%q is not supported (only \"get\")", cmd.Command))
		return
	}
	if len(cmd.List) > maxMediaSetList {
		twilio.WriteError(w, twilio.InvalidParam("list", "%d media; the maximum is %d", len(cmd.List), maxMediaSetList))
		return
	}
	out := make([]map[string]any, 0, len(cmd.List))
	for _, item := range cmd.List {
		m, ok := h.Store.Get(c.AccountSID, item.MediaSID)
		if !ok || m.ServiceSID != service {
			// mcs-client names the failed SID from media_record.sid.
			out = append(out, map[string]any{"code": http.StatusNotFound,
				"media_record": map[string]any{"sid": item.MediaSID}, "message": "Media not found"})
			continue
		}
		out = append(out, map[string]any{"code": http.StatusOK, "media_record": h.render(r, m)})
	}
	twilio.WriteJSON(w, http.StatusOK, out)
}

// render is a media record as MCS answers it, with absolute URLs on the
// host the request came to.
func (h *Handler) render(r *http.Request, m Media) map[string]any {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	self := fmt.Sprintf("%s://%s%s/v1/Services/%s/Media/%s", scheme, r.Host, h.Prefix, m.ServiceSID, m.SID)
	ttl := h.URLTTL
	if ttl <= 0 {
		ttl = DefaultURLTTL
	}
	exp := h.tokenNow(m.AccountSID).Add(ttl).Unix()
	temporary := self + "/Content?" + url.Values{
		"Expires":   {strconv.FormatInt(exp, 10)},
		"Signature": {h.Store.sign(m.AccountSID, m.SID, exp)},
	}.Encode()
	date := m.DateCreated.UTC().Format("2006-01-02T15:04:05.000Z")
	return map[string]any{
		"sid": m.SID, "account_sid": m.AccountSID, "service_sid": m.ServiceSID,
		"date_created": date, "date_updated": date, "date_upload_updated": date,
		"channel_sid": nullable(m.ConversationSID), "message_sid": nullable(m.MessageSID),
		"author": nullable(m.Author), "size": m.Size, "content_type": m.ContentType,
		"filename": nullable(m.Filename), "category": m.Category,
		"is_multipart_upstream": false, "url": self,
		"links": map[string]any{"content": self + "/Content", "content_direct_temporary": temporary},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
