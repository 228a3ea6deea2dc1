package controlapi

// AccountParams describe an account to add to a running emulator: the body
// of POST /emulator/v1/accounts (JSON, or a form with the same names).
type AccountParams struct {
	// SID is the account SID (AC and 32 hex digits); empty mints one.
	SID string `json:"sid,omitempty"`
	// AuthToken is the account's auth token (8 to 64 letters and digits,
	// as twilio-go requires); empty mints 32 of them.
	AuthToken    string `json:"auth_token,omitempty"`
	FriendlyName string `json:"friendly_name,omitempty"`
	// Fixture is the account's fixture: the name of a shipped fixture
	// ("sales-support.yaml") or a fixture's YAML itself (in-process and in
	// a fixture's accounts section, a file path too). Empty is the
	// emulator's own fixture.
	Fixture string `json:"fixture,omitempty"`
}

// AccountInfo is an account as the account routes describe it: its Info
// (credentials, fixture, clock, addresses, API keys) and name.
type AccountInfo struct {
	Info
	FriendlyName string `json:"friendly_name"`
	// Primary is the emulator's own account, which cannot be removed.
	Primary bool `json:"primary"`
	// ControlURL is where the account's control API lives
	// (ControlURL+"/inbound", ControlURL+"/clock/advance"…).
	ControlURL string `json:"control_url"`
}
