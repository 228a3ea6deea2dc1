package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// accountControl creates, lists and removes accounts (accounts.go). The
// bare /accounts/{AccountSid} is the account itself; everything below it is
// that account's control API (controlRoutes).
var accountControl = []controlRoute{
	{method: "POST", path: "/accounts", emulator: (*Emulator).controlCreateAccount},
	{method: "GET", path: "/accounts", emulator: (*Emulator).controlListAccounts},
	{method: "GET", path: "/accounts/{AccountSid}", emulator: (*Emulator).controlFetchAccount},
	{method: "DELETE", path: "/accounts/{AccountSid}", emulator: (*Emulator).controlDeleteAccount},
}

// AccountInfo is an account as the account routes describe it
// (controlapi.AccountInfo).
type AccountInfo = controlapi.AccountInfo

func (e *Emulator) controlCreateAccount(w http.ResponseWriter, r *http.Request) {
	var p AccountParams
	if err := decodeControl(r, &p, map[string]*string{"sid": &p.SID, "auth_token": &p.AuthToken,
		"friendly_name": &p.FriendlyName, "fixture": &p.Fixture}); err != nil {
		twilio.WriteError(w, err)
		return
	}
	a, err := e.createAccount(p, "", false)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusCreated, e.describeAccount(a, baseURL(r)))
}

func (e *Emulator) controlListAccounts(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	out := []AccountInfo{}
	for _, a := range e.Accounts() {
		out = append(out, e.describeAccount(a, base))
	}
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func (e *Emulator) controlFetchAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := e.lookupAccount(r.PathValue("AccountSid"))
	if !ok {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
		return
	}
	twilio.WriteJSON(w, http.StatusOK, e.describeAccount(a, baseURL(r)))
}

func (e *Emulator) controlDeleteAccount(w http.ResponseWriter, r *http.Request) {
	if err := e.RemoveAccount(r.PathValue("AccountSid")); err != nil {
		twilio.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// describeAccount is account a as reached at base.
func (e *Emulator) describeAccount(a *Account, base string) AccountInfo {
	return AccountInfo{Info: e.accountInfo(a, base), FriendlyName: a.FriendlyName, Primary: a == e.primary,
		ControlURL: base + AccountPrefix + a.SID}
}
