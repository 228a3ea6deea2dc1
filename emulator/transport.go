package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Transport is twilio.Transport: an http.RoundTripper that sends requests
// for Twilio's API hosts to the emulator at emulatorURL. Clients should
// import it from emulator/twilio (or use twilioclient) so they do not link
// the server.
func Transport(emulatorURL string, base http.RoundTripper) http.RoundTripper {
	return twilio.Transport(emulatorURL, base)
}

// TwilioHost is twilio.TwilioHost.
func TwilioHost(h string) (string, bool) { return twilio.TwilioHost(h) }
