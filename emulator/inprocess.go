package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// HTTPClient returns an http.Client served by the emulator's handler
// in-process, without a listener (fake-gcs-server's HTTPClient): requests
// to Twilio's hosts (https://taskrouter.twilio.com/v1/…) reach the product
// APIs, any other host the control API (http://flexemu/emulator/v1/…). It
// works before Start and after Close alike; websockets need Start. For
// twilio-go, use twilioclient.ForHandler(emu.Handler(), sid, token), which
// keeps twilio-go out of the emulator's own binary.
func (e *Emulator) HTTPClient() *http.Client {
	return &http.Client{Transport: twilio.HandlerTransport(e.handler),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
