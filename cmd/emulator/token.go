package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/remote"
)

// token asks a running emulator for an agent's Access Token and prints it
// with the constructor options of both SDKs, for pasting into an agent app.
func token(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", envOr("FLEXEMU_URL", "http://"+emulator.DefaultAddr), "the running emulator (env FLEXEMU_URL)")
	ttl := fs.Int("ttl", 3600, "token lifetime in seconds (at most 86400)")
	asJSON := fs.Bool("json", false, "print the control API's JSON answer instead")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: emulator token [flags] IDENTITY\n\nPrints an Access Token for the agent IDENTITY (a TaskRouter worker with contact_uri client:IDENTITY\nor that friendly name) and how to point twilio-taskrouter and @twilio/conversations at flexemu.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := remote.New(*url).Token(ctx, emulator.TokenParams{Identity: fs.Arg(0), TTL: *ttl})
	if err != nil {
		fmt.Fprintf(stderr, "emulator token: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(tok)
		return 0
	}
	fmt.Fprintf(stdout, "%s\n\n", tok.Token)
	fmt.Fprintf(stdout, "identity %s  worker %s  workspace %s  chat service %s  expires %s\n\n",
		tok.Identity, tok.WorkerSID, tok.WorkspaceSID, tok.ChatServiceSID, tok.ExpiresAt)
	fmt.Fprintf(stdout, "new Worker(token, { ebServer: %q, wsServer: %q })\n", tok.EventBridgeURL, tok.EventBridgeWSURL)
	fmt.Fprintf(stdout, "new Client(token, { Twilsock: { uri: %q } })\n", tok.TwilsockURL)
	return 0
}
