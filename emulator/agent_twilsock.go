package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// twilsockHandler serves @twilio/conversations' twilsock. (Stub: owned by
// the twilsock work.)
func (e *Emulator) twilsockHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	})
}

// mediaHandler serves the Conversations media service (MCS). (Stub.)
func (e *Emulator) mediaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	})
}
