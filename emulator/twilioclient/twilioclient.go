// Package twilioclient builds a twilio-go RestClient that talks to a flexemu
// emulator instead of api.twilio.com, so user code written against twilio-go
// runs unchanged.
package twilioclient

import (
	"net/http"
	"time"

	wire "github.com/flexemu/flexemu/emulator/twilio"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

// New returns a twilio-go client for accountSID/authToken whose requests go
// to the emulator at emulatorURL (for example "http://127.0.0.1:7070").
func New(emulatorURL, accountSID, authToken string) *twilio.RestClient {
	return withTransport(wire.Transport(emulatorURL, nil), accountSID, authToken)
}

// ForHandler returns a twilio-go client served in-process by h, an
// emulator's Handler(), without a listener: the fastest client for Go
// tests (see Emulator.HTTPClient).
func ForHandler(h http.Handler, accountSID, authToken string) *twilio.RestClient {
	return withTransport(wire.HandlerTransport(h), accountSID, authToken)
}

func withTransport(rt http.RoundTripper, accountSID, authToken string) *twilio.RestClient {
	c := &client.Client{
		Credentials: client.NewCredentials(accountSID, authToken),
		HTTPClient: &http.Client{
			Transport: rt,
			Timeout:   30 * time.Second,
			// twilio-go's own default: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(accountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}
