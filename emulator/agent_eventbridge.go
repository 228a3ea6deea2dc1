package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// eventBridgeHandler serves twilio-taskrouter's event bridge. (Stub: owned
// by the event bridge work.)
func (e *Emulator) eventBridgeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
	})
}
