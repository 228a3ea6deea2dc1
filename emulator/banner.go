package emulator

import (
	"fmt"
	"io"
)

// WriteBanner prints what a developer needs after `emulator up`: where it
// listens, the credentials, the addresses and how to send a message.
func WriteBanner(w io.Writer, info Info) {
	fmt.Fprintf(w, "flexemu listening on %s  (fixture %s, %s clock)\n", info.URL, info.Fixture, info.ClockMode)
	fmt.Fprintf(w, "  account SID  %s\n  auth token   %s\n", info.AccountSID, info.AuthToken)
	for _, k := range info.APIKeys {
		fmt.Fprintf(w, "  API key      %s  secret %s\n", k.SID, k.Secret)
	}
	if info.Workspace != nil {
		fmt.Fprintf(w, "  workspace    %s %q\n", info.Workspace.SID, info.Workspace.FriendlyName)
	}
	for _, a := range info.Addresses {
		fmt.Fprintf(w, "  address      %-26s %-9s → %s\n", a.Address, a.Type, a.Target)
	}
	fmt.Fprintf(w, "send a message:  go run ./cmd/send \"hello\"   (or: make send MSG=hello)\n")
	fmt.Fprintf(w, "agent SDK token: go run ./cmd/emulator token alice   (twilio-taskrouter and @twilio/conversations)\n")
	fmt.Fprintf(w, "APIs: %s/conversations/v1  /flex-api/v1  /taskrouter/v1  /studio/v2  control: %s%s\n",
		info.URL, info.URL, ControlPrefix)
}
