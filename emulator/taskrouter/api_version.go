package taskrouter

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// CodePreconditionFailed is the error code of a refused If-Match. Twilio's
// TaskRouter docs only promise "a 412 response"; 20412 is Twilio's
// catalogued "Precondition Failed" (an If-Match ETag that does not match the
// resource's), the generic HTTP-status family of 20404 and 20409.
const CodePreconditionFailed = 20412

// CheckIfMatch applies an If-Match request header to an object at version:
// nil when the header is absent or names that version, else the 412 Twilio
// answers. The REST handlers check before calling the engine, under the
// account lock, so a refused update changes nothing. Exported for the event
// bridge, whose envelope carries the Worker SDK's If-Match
// (enableVersionCheck).
//
// The JS SDK sends the bare decimal it read from "version"; a quoted or weak
// ETag (what generic HTTP clients echo), a list and "*" are accepted as
// RFC 9110 reads them.
func CheckIfMatch(ifMatch string, version int) error {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" {
		return nil
	}
	want := strconv.Itoa(version)
	for _, tag := range strings.Split(ifMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return nil
		}
		tag = strings.Trim(strings.TrimPrefix(tag, "W/"), `"`)
		if tag == want {
			return nil
		}
	}
	return twilio.NewError(http.StatusPreconditionFailed, CodePreconditionFailed,
		"Precondition Failed: If-Match %q does not match the current version %s", ifMatch, want)
}

// ETag is the ETag header value of an object at version: the decimal
// version, unquoted, as Twilio sends it and the Worker SDK sends it back.
func ETag(version int) string { return strconv.Itoa(version) }

// withETag wraps a rendered Task, Worker or Reservation with its ETag.
func withETag(body any, version int) twilio.WithHeaders {
	return twilio.WithHeaders{Body: body, Header: http.Header{"Etag": {ETag(version)}}}
}

// ifMatch checks the request's If-Match against version (see CheckIfMatch).
func ifMatch(r *twilio.Request, version int) error {
	return CheckIfMatch(r.Header("If-Match"), version)
}
