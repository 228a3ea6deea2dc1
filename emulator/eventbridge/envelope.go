package eventbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// The HTTP envelope (twilio-taskrouter lib/util/Request.js): every SDK
// action, reads included, is POSTed to Path as JSON whatever the
// Content-Type (axios sends application/x-www-form-urlencoded, taskrouter
// 3.x text/plain):
//
//	{"url":"Workspaces/WS…/Workers/WK…","method":"GET","params":{…},"token":"<JWT>"}
//
// with headers apiVersion (v1|v2), clientVersion and, with
// enableVersionCheck, If-Match. Success is 200 {"payload":…}; errors are
// non-2xx {"message":…} (flexemu adds Twilio's code and status).

// maxEnvelope bounds an envelope's body.
const maxEnvelope = 1 << 20

// envelope is one SDK request.
type envelope struct {
	URL    string                     `json:"url"`
	Method string                     `json:"method"`
	Params map[string]json.RawMessage `json:"params"`
	Token  string                     `json:"token"`
}

// call is a decoded, authenticated envelope.
type call struct {
	acct         Account
	hub          *hub
	workspaceSID string // the token's worker's workspace
	workerSID    string // the token's worker; "" for a workspace-only token
	method       string
	segs         []string   // url path segments: Workspaces, WS…, …
	params       url.Values // params as form values
	header       http.Header
	r            *http.Request
}

func (srv *Server) serveEnvelope(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxEnvelope+1))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, twilio.CodeInvalidParameter, "could not read the request body: "+err.Error())
		return
	}
	if len(raw) > maxEnvelope {
		writeMessage(w, http.StatusRequestEntityTooLarge, twilio.CodeInvalidParameter, "request body too large")
		return
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		writeMessage(w, http.StatusBadRequest, twilio.CodeInvalidParameter,
			"the body must be the SDK's JSON envelope {url, method, params, token}: "+err.Error())
		return
	}
	if env.Token == "" {
		writeMessage(w, http.StatusUnauthorized, accesstoken.CodeInvalid, "Invalid Access Token: the envelope has no token")
		return
	}
	acct, claims, err := srv.backend.Verify(env.Token)
	if err != nil {
		writeError(w, err)
		return
	}
	wsSID, wkSID, err := resolveWorker(acct, claims)
	if err != nil {
		// A Workspace or Supervisor object's token may name a workspace and
		// no worker: it may still read and act within that workspace.
		if g := claims.Grants.TaskRouter; g == nil || g.WorkspaceSID == "" {
			writeError(w, err)
			return
		}
		wsSID, wkSID = claims.Grants.TaskRouter.WorkspaceSID, ""
	}
	params, err := formOf(env.Params)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, twilio.CodeInvalidParameter, err.Error())
		return
	}
	u := strings.Trim(env.URL, "/")
	u = strings.TrimPrefix(u, "v1/")
	u, _, _ = strings.Cut(u, "?")
	c := &call{acct: acct, hub: srv.hub(acct), workspaceSID: wsSID, workerSID: wkSID,
		method: strings.ToUpper(env.Method), segs: strings.Split(u, "/"), params: params, header: http.Header{}, r: r}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if v := r.Header.Get("If-Match"); v != "" {
		c.header.Set("If-Match", v)
	}
	if len(c.segs) < 2 || c.segs[0] != "Workspaces" {
		writeMessage(w, http.StatusNotFound, twilio.CodeNotFound, "flexemu's event bridge has no route "+c.method+" "+env.URL)
		return
	}
	if c.segs[1] != wsSID {
		writeMessage(w, http.StatusForbidden, twilio.CodeForbidden, "the token is for workspace "+wsSID+", not "+c.segs[1])
		return
	}
	status, payload, err := c.serve()
	if err != nil {
		writeError(w, err)
		return
	}
	if status != 0 { // an API error answered as is
		writeAPIError(w, status, payload.([]byte))
		return
	}
	writePayload(w, payload)
}

// formOf converts the envelope's params, which keep their JavaScript types,
// to form values as a REST client sends them: strings as they are, numbers
// as written, booleans "true"/"false", objects and arrays (Attributes) as
// their JSON text, nulls left out.
func formOf(params map[string]json.RawMessage) (url.Values, error) {
	form := url.Values{}
	for k, raw := range params {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case 'n':
			continue
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, errors.New("params." + k + ": " + err.Error())
			}
			form.Set(k, s)
		case '{', '[':
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return nil, errors.New("params." + k + ": " + err.Error())
			}
			form.Set(k, b.String())
		default: // numbers, true, false: their JSON text
			form.Set(k, string(raw))
		}
	}
	return form, nil
}

// writePayload answers 200 {"payload": v}.
func writePayload(w http.ResponseWriter, v any) {
	b, err := json.Marshal(struct {
		Payload any `json:"payload"`
	}{v})
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, twilio.CodeInternal, "encoding the payload: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// errorBody is what the SDK reads from a refusal (message) plus Twilio's
// code and status.
type errorBody struct {
	Message  string `json:"message"`
	Code     int    `json:"code"`
	Status   int    `json:"status"`
	MoreInfo string `json:"more_info,omitempty"`
}

func writeMessage(w http.ResponseWriter, status, code int, msg string) {
	writeErrorBody(w, errorBody{Message: msg, Code: code, Status: status})
}

func writeErrorBody(w http.ResponseWriter, e errorBody) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// writeError answers err: Twilio's errors with their status and code.
func writeError(w http.ResponseWriter, err error) {
	var te *twilio.Error
	if errors.As(err, &te) {
		writeErrorBody(w, errorBody{Message: te.Message, Code: te.Code, Status: te.Status, MoreInfo: te.MoreInfo})
		return
	}
	writeMessage(w, http.StatusInternalServerError, twilio.CodeInternal, err.Error())
}

// writeAPIError relays a REST error answer (Twilio's error JSON) in the
// envelope's error shape.
func writeAPIError(w http.ResponseWriter, status int, body []byte) {
	var te twilio.Error
	if err := json.Unmarshal(body, &te); err != nil || te.Message == "" {
		te = twilio.Error{Message: strings.TrimSpace(string(body)), Status: status}
	}
	if te.Message == "" {
		te.Message = http.StatusText(status)
	}
	writeErrorBody(w, errorBody{Message: te.Message, Code: te.Code, Status: status, MoreInfo: te.MoreInfo})
}
