package flex

import "github.com/flexemu/flexemu/emulator/twilio"

// transferRoutes are the Interaction channel Transfers routes.
func transferRoutes() []twilio.Route[*Engine] { return nil }
