package twilsock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Magic starts every twilsock frame: "TWILSOCK V3.0 <H>\r\n<header>\r\n<payload>".
const Magic = "TWILSOCK V3.0 "

// Default bounds on what a client may send in one frame.
const (
	// DefaultMaxHeader bounds the header JSON (an init header carries the
	// token, metadata and registrations: a few KiB).
	DefaultMaxHeader = 64 << 10
	// DefaultMaxPayload bounds a frame's payload (a tunnelled request body).
	DefaultMaxPayload = 4 << 20
)

// maxLengthDigits bounds the header length field: 10 digits already exceed
// any header bound.
const maxLengthDigits = 10

// ErrMalformed is wrapped by every DecodeFrame error.
var ErrMalformed = errors.New("malformed twilsock frame")

// Header is the part of a client frame's header the server reads. Fields a
// method does not use are zero.
type Header struct {
	ID          string `json:"id"`
	Method      string `json:"method"`
	PayloadSize int    `json:"payload_size"`
	PayloadType string `json:"payload_type"`
	// Token is init's and update's Access Token.
	Token string `json:"token"`
	// Registrations are init's notification registrations, echoed in the reply.
	Registrations []map[string]json.RawMessage `json:"registrations"`
	// Capabilities are what an init's client supports ("client_update", …).
	Capabilities []string `json:"capabilities"`
	// HTTPRequest is a "message" frame's tunnelled request.
	HTTPRequest *HTTPRequest `json:"http_request"`
	// NotificationCtxID is put_/delete_notification_ctx's context.
	NotificationCtxID string `json:"notification_ctx_id"`
}

// HTTPRequest is a message frame's http_request. Params and headers are kept
// raw: the SDK sends strings, but a number must not fail the frame.
type HTTPRequest struct {
	Host    string                     `json:"host"`
	Path    string                     `json:"path"`
	Method  string                     `json:"method"`
	Params  map[string]json.RawMessage `json:"params"`
	Headers map[string]json.RawMessage `json:"headers"`
}

// Frame is one decoded client frame.
type Frame struct {
	Header  Header
	Raw     json.RawMessage // the header JSON as received
	Payload []byte
}

// EncodeFrame builds a frame from a header object and a payload: it sets
// payload_size to the payload's byte count (always present, 0 without
// payload) and writes the header's exact UTF-8 byte count.
func EncodeFrame(header map[string]any, payload []byte) ([]byte, error) {
	header["payload_size"] = len(payload)
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encoding a twilsock header: %w", err)
	}
	b := make([]byte, 0, len(Magic)+maxLengthDigits+4+len(h)+len(payload))
	b = append(b, Magic...)
	b = strconv.AppendInt(b, int64(len(h)), 10)
	b = append(b, '\r', '\n')
	b = append(b, h...)
	b = append(b, '\r', '\n')
	return append(b, payload...), nil
}

// DecodeFrame parses one websocket message as a twilsock frame. The header
// must be a JSON object of at most maxHeader bytes with a method, the
// payload exactly payload_size bytes (at most maxPayload), and nothing may
// follow it. Every error wraps ErrMalformed.
func DecodeFrame(b []byte, maxHeader, maxPayload int) (*Frame, error) {
	if !bytes.HasPrefix(b, []byte(Magic)) {
		return nil, malformed("does not start with %q", Magic)
	}
	rest := b[len(Magic):]
	eol := bytes.Index(rest, []byte("\r\n"))
	if eol < 0 || eol > maxLengthDigits {
		return nil, malformed("no header length line")
	}
	hlen := 0
	if eol == 0 {
		return nil, malformed("empty header length")
	}
	for _, c := range rest[:eol] {
		if c < '0' || c > '9' {
			return nil, malformed("header length %q is not a number", rest[:eol])
		}
		hlen = hlen*10 + int(c-'0')
	}
	if hlen > maxHeader {
		return nil, malformed("header of %d bytes exceeds %d", hlen, maxHeader)
	}
	rest = rest[eol+2:]
	if len(rest) < hlen+2 {
		return nil, malformed("header shorter than its declared %d bytes", hlen)
	}
	raw := rest[:hlen]
	if rest[hlen] != '\r' || rest[hlen+1] != '\n' {
		return nil, malformed("header of %d bytes not followed by CRLF", hlen)
	}
	payload := rest[hlen+2:]
	f := &Frame{Raw: json.RawMessage(raw)}
	// Header fields other than the object's own must not fail a frame
	// (the SDK may add some), but the known ones must have their types.
	if err := json.Unmarshal(raw, &f.Header); err != nil {
		return nil, malformed("header: %v", err)
	}
	if f.Header.Method == "" {
		return nil, malformed("header has no method")
	}
	if f.Header.PayloadSize < 0 || f.Header.PayloadSize > maxPayload {
		return nil, malformed("payload_size %d outside 0..%d", f.Header.PayloadSize, maxPayload)
	}
	if len(payload) != f.Header.PayloadSize {
		return nil, malformed("payload of %d bytes, payload_size says %d", len(payload), f.Header.PayloadSize)
	}
	if len(payload) > 0 {
		f.Payload = payload
	}
	return f, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// flatten turns raw JSON values into strings: a JSON string is unquoted,
// anything else (a number, a boolean) is kept as its JSON text.
func flatten(m map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out[k] = s
			continue
		}
		if string(v) == "null" {
			out[k] = ""
			continue
		}
		out[k] = string(v)
	}
	return out
}

// httpStatusText is an http_status's status: the reason phrase in twilsock's
// own style ("OK", "NOT_FOUND", "TOO_MANY_REQUESTS").
func httpStatusText(code int) string {
	t := http.StatusText(code)
	if t == "" {
		return strconv.Itoa(code)
	}
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(t))
}
