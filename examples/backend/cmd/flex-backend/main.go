// Command flex-backend runs the example backend: point an address's
// auto-creation webhook at it and each new conversation goes to Flex.
//
//	FLEXEMU_URL=http://127.0.0.1:7070 WORKSPACE_SID=WS… WORKFLOW_SID=WW… go run ./examples/backend/cmd/flex-backend
//
// Without FLEXEMU_URL it talks to the real Twilio with TWILIO_ACCOUNT_SID
// and TWILIO_AUTH_TOKEN.
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/examples/backend"
	"github.com/twilio/twilio-go"
)

func main() {
	logger := log.New(os.Stderr, "flex-backend: ", log.LstdFlags)
	sid := envOr("TWILIO_ACCOUNT_SID", emulator.DefaultAccountSID)
	token := envOr("TWILIO_AUTH_TOKEN", emulator.DefaultAuthToken)
	var client *twilio.RestClient
	if u := os.Getenv("FLEXEMU_URL"); u != "" {
		client = twilioclient.New(u, sid, token)
	} else {
		client = twilio.NewRestClientWithParams(twilio.ClientParams{Username: sid, Password: token})
	}
	addr := envOr("LISTEN", "127.0.0.1:8080")
	h := backend.Handler(backend.Config{AuthToken: token, PublicURL: os.Getenv("PUBLIC_URL"),
		WorkspaceSID: os.Getenv("WORKSPACE_SID"), WorkflowSID: os.Getenv("WORKFLOW_SID"), Client: client, Logger: logger})
	logger.Printf("listening on http://%s/", addr)
	logger.Fatal(http.ListenAndServe(addr, h))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
