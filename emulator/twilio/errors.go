package twilio

import (
	"errors"
	"fmt"
)

// Error is a Twilio REST error. Engines return it; the wire layer renders it
// as {"code","message","more_info","status"} with Status as the HTTP status.
type Error struct {
	Status  int    `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	// MoreInfo defaults to Twilio's error page for Code.
	MoreInfo string `json:"more_info"`
	// Details carries structured specifics, e.g. a Studio flow's validation errors.
	Details any `json:"details,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("twilio error %d (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// NewError builds an Error with Twilio's more_info link for code.
func NewError(status, code int, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...),
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)}
}

// Common Twilio error codes.
const (
	CodeInvalidParameter = 20001
	CodeAuthentication   = 20003
	CodeNotFound         = 20404
	CodeConflict         = 20409
	CodeMethodNotAllowed = 20004
	CodeForbidden        = 20403
	CodeInternal         = 20500
)

// NotFound is Twilio's 404 for an unknown SID; path is the resource path as
// Twilio prints it, e.g. "/Workspaces/WS…/Tasks/WT…".
func NotFound(path string) *Error {
	return Fail(KindNotFound, CodeNotFound, "The requested resource %s was not found", path)
}

// InvalidParam is a 400 naming the offending form parameter.
func InvalidParam(param, format string, args ...any) *Error {
	return Fail(KindInvalid, CodeInvalidParameter, "Invalid %s: %s", param, fmt.Sprintf(format, args...))
}

// MissingParam is a 400 for an absent required parameter.
func MissingParam(param string) *Error {
	return Fail(KindInvalid, CodeInvalidParameter, "Missing required parameter %s in the post body", param)
}

// BadRequest is a generic 400 with code 20001.
func BadRequest(format string, args ...any) *Error {
	return Fail(KindInvalid, CodeInvalidParameter, format, args...)
}

// Conflict is a 409 with the given Twilio code.
func Conflict(code int, format string, args ...any) *Error {
	return Fail(KindConflict, code, format, args...)
}

// Unauthorized is Twilio's 401 for bad or missing credentials.
func Unauthorized() *Error {
	return Fail(KindUnauthorized, CodeAuthentication, "Authentication Error - invalid username")
}

// AsError converts any error into a Twilio error; unknown errors become 500s
// so a bug shows up as Twilio's internal error, never a dropped connection.
func AsError(err error) *Error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	return Fail(KindInternal, CodeInternal, "internal error: %v", err)
}
