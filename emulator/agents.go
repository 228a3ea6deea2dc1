package emulator

import (
	"net/http"
	"strings"
)

// Agent-side endpoints: the websockets (and HTTP) that Twilio's client SDKs
// speak, served on the emulator's own address. Each is owned by its own
// file: agent_eventbridge.go (twilio-taskrouter's event bridge),
// agent_twilsock.go (@twilio/conversations' twilsock and media service).
const (
	// EventBridgePath is where twilio-taskrouter's Worker connects (ebServer and wsServer).
	EventBridgePath = "/event-bridge/v1/wschannels"
	// TwilsockPath is where @twilio/conversations connects (Twilsock.uri).
	TwilsockPath = "/tsock/v3/wsconnect"
	// MediaPrefix is the Conversations media service (MCS) the Configuration answer points at.
	MediaPrefix = "/mcs/"
)

// agentRoutes maps the agent SDK paths to their handlers; routes() consults
// it before the product prefixes. They authenticate with Access Tokens, not
// Basic auth, and answer browsers' CORS preflights themselves.
func (e *Emulator) agentRoutes() func(path string) (http.Handler, bool) {
	eb, ts, mcs := e.eventBridgeHandler(), e.twilsockHandler(), e.mediaHandler()
	return func(p string) (http.Handler, bool) {
		switch {
		case p == EventBridgePath || strings.HasPrefix(p, "/event-bridge/"):
			return eb, true
		case p == TwilsockPath || strings.HasPrefix(p, "/tsock/"):
			return ts, true
		case strings.HasPrefix(p, MediaPrefix):
			return mcs, true
		}
		return nil, false
	}
}
