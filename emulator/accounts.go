package emulator

import (
	"fmt"
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// lookupAccount finds an account of the emulator by SID.
func (e *Emulator) lookupAccount(sid string) (*Account, bool) {
	e.accountsMu.RLock()
	defer e.accountsMu.RUnlock()
	a, ok := e.accounts[sid]
	return a, ok
}

// Accounts lists the emulator's accounts, the primary first, then in the
// order they were added.
func (e *Emulator) Accounts() []*Account {
	e.accountsMu.RLock()
	defer e.accountsMu.RUnlock()
	return append([]*Account(nil), e.accountOrder...)
}

// onEveryAccount runs fn for every account now and for every account added
// later (servers attach per-account hooks this way: the Sync projection,
// the media store).
func (e *Emulator) onEveryAccount(fn func(*Account)) {
	e.accountsMu.Lock()
	e.accountHooks = append(e.accountHooks, fn)
	accts := append([]*Account(nil), e.accountOrder...)
	e.accountsMu.Unlock()
	for _, a := range accts {
		fn(a)
	}
}

// addAccount makes a serve requests and runs the account hooks on it. A SID
// already in use is Twilio's 409.
func (e *Emulator) addAccount(a *Account) error {
	e.accountsMu.Lock()
	if _, taken := e.accounts[a.SID]; taken {
		e.accountsMu.Unlock()
		return twilio.NewError(http.StatusConflict, twilio.CodeInvalidParameter, "account %s already exists", a.SID)
	}
	e.accounts[a.SID] = a
	e.accountOrder = append(e.accountOrder, a)
	hooks := append([](func(*Account)){}, e.accountHooks...)
	e.accountsMu.Unlock()
	for _, fn := range hooks {
		fn(a)
	}
	return nil
}

// removeAccount forgets a non-primary account; its requests fail with 401
// from then on. The caller stops its clock and webhooks.
func (e *Emulator) removeAccount(sid string) (*Account, error) {
	e.accountsMu.Lock()
	defer e.accountsMu.Unlock()
	a, ok := e.accounts[sid]
	if !ok {
		return nil, twilio.NotFound(fmt.Sprintf("/emulator/v1/accounts/%s", sid))
	}
	if a == e.primary {
		return nil, twilio.NewError(http.StatusBadRequest, twilio.CodeInvalidParameter, "the primary account %s cannot be removed", sid)
	}
	delete(e.accounts, sid)
	for i, o := range e.accountOrder {
		if o == a {
			e.accountOrder = append(e.accountOrder[:i:i], e.accountOrder[i+1:]...)
			break
		}
	}
	return a, nil
}
