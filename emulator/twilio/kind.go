package twilio

import "net/http"

// Kind says what went wrong in an engine's own terms. Engines build errors
// from a Kind and a Twilio code (Fail, or NotFound, InvalidParam, Conflict…)
// and never name an HTTP status: the status is the wire's business and is
// mapped from the Kind here, in one place (Kind.Status).
type Kind uint8

// Kinds of failure.
const (
	KindInternal         Kind = iota // a bug or an unexpected failure (500)
	KindInvalid                      // a parameter or the request is wrong (400)
	KindUnauthorized                 // missing or bad credentials (401)
	KindForbidden                    // refused: not allowed, or blocked by a pre-event webhook (403)
	KindNotFound                     // no such resource (404)
	KindMethodNotAllowed             // the resource does not take this method (405)
	KindConflict                     // the resource or a unique value already exists, or is in use (409)
	KindPrecondition                 // a condition the caller set does not hold, e.g. If-Match (412)
	KindTooLarge                     // the request body is over the size limit (413)
	KindUnsupportedMedia             // the request body's content type is not accepted (415)
	KindUnavailable                  // the emulator cannot serve it now (503)
)

// kindStatus maps each Kind to its HTTP status.
var kindStatus = [...]int{
	KindInternal:         http.StatusInternalServerError,
	KindInvalid:          http.StatusBadRequest,
	KindUnauthorized:     http.StatusUnauthorized,
	KindForbidden:        http.StatusForbidden,
	KindNotFound:         http.StatusNotFound,
	KindMethodNotAllowed: http.StatusMethodNotAllowed,
	KindConflict:         http.StatusConflict,
	KindPrecondition:     http.StatusPreconditionFailed,
	KindTooLarge:         http.StatusRequestEntityTooLarge,
	KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	KindUnavailable:      http.StatusServiceUnavailable,
}

// Status is the HTTP status an error of this kind is served with; an
// unknown Kind is an internal error.
func (k Kind) Status() int {
	if int(k) < len(kindStatus) {
		return kindStatus[k]
	}
	return http.StatusInternalServerError
}

// Fail is an engine's error: a failure of kind with Twilio's code and a
// message, served with the kind's status.
func Fail(kind Kind, code int, format string, args ...any) *Error {
	return NewError(kind.Status(), code, format, args...)
}

// Kind classifies e by its status, so code holding an Error (built here or
// by NewError) can rebuild one of the same kind without naming a status; a
// status no Kind maps to is KindInternal.
func (e *Error) Kind() Kind {
	for k, s := range kindStatus {
		if s == e.Status {
			return Kind(k)
		}
	}
	return KindInternal
}
