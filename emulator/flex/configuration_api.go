package flex

import "github.com/flexemu/flexemu/emulator/twilio"

// configurationRoutes are the Flex Configuration routes.
func configurationRoutes() []twilio.Route[*Engine] { return nil }
