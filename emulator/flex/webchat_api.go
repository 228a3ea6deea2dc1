package flex

import "github.com/flexemu/flexemu/emulator/twilio"

// webChatRoutes are the Flex webchat entry point's routes (/v2/WebChats).
func webChatRoutes() []twilio.Route[*Engine] { return nil }
