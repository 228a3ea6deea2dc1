package emulator

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/fixtures"
)

// AccountParams describe an account to add to a running emulator
// (CreateAccount, POST /emulator/v1/accounts); Account.Params returns them
// to build the same account again (snapshots).
type AccountParams = controlapi.AccountParams

// removedTokenNow is the token time of a removed account: every token of it
// has expired, so the agent SDK sessions still open on it end at their next
// expiry check.
var removedTokenNow = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

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

// LookupAccount returns the account with this SID, if the emulator has it.
func (e *Emulator) LookupAccount(sid string) (*Account, bool) { return e.lookupAccount(sid) }

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

// CreateAccount adds an account with its own credentials, fixture, virtual
// clock (in the emulator's clock mode, from its start time), timeline and
// webhooks. Nothing of it is shared with the other accounts. Errors are
// Twilio's: 400 for bad parameters or a bad fixture, 409 for a SID in use.
func (e *Emulator) CreateAccount(p AccountParams) (*Account, error) {
	return e.createAccount(p, "", true)
}

// createAccount validates p, builds the account and adds it. A relative
// fixture path is resolved against dir; files are read only when
// allowFiles (never for the control API, which must not read the
// emulator's disk on a request's say).
func (e *Emulator) createAccount(p AccountParams, dir string, allowFiles bool) (*Account, error) {
	if p.SID == "" {
		p.SID = twilio.NewSID("AC")
	}
	if !twilio.IsSID(p.SID, "AC") {
		return nil, twilio.InvalidParam("sid", "%q is not an account SID: AC followed by 32 hex digits", p.SID)
	}
	if p.AuthToken == "" {
		p.AuthToken = newAuthToken()
	}
	if err := checkAuthToken(p.AuthToken); err != nil {
		return nil, err
	}
	if _, taken := e.lookupAccount(p.SID); taken {
		return nil, accountExists(p.SID)
	}
	fx, ref, err := e.resolveFixture(p.Fixture, dir, allowFiles)
	if err != nil {
		return nil, err
	}
	p.Fixture = ref
	if p.FriendlyName == "" {
		p.FriendlyName = "flexemu account " + p.SID
	}
	clk := clock.New(e.opts.ClockMode, e.opts.ClockStart)
	a, err := newAccount(p.SID, p.AuthToken, clk, fx, e.log)
	if err != nil {
		clk.Stop()
		return nil, twilio.BadRequest("fixture %s cannot be applied: %v", fx.Name, err)
	}
	a.FriendlyName, a.fixtureRef = p.FriendlyName, p.Fixture
	if err := e.addAccount(a); err != nil {
		a.shutdown()
		return nil, err
	}
	return a, nil
}

// Params is what CreateAccount needs to build this account again: its
// credentials, name and fixture reference.
func (a *Account) Params() AccountParams {
	return AccountParams{SID: a.SID, AuthToken: a.AuthToken, FriendlyName: a.FriendlyName, Fixture: a.fixtureRef}
}

// RemoveAccount removes a non-primary account: its credentials are refused
// (401) from then on, its clock stops with its timers, its webhooks not yet
// delivered are abandoned, and its agent SDK sessions end at their next
// token check (a second or so). Unknown is Twilio's 404; the primary account
// cannot be removed (400).
func (e *Emulator) RemoveAccount(sid string) error {
	a, err := e.removeAccount(sid)
	if err != nil {
		return err
	}
	a.removed.Store(true)
	a.shutdown()
	e.media.Forget(a.SID)
	e.accountsMu.RLock()
	gone := append([](func(string)){}, e.accountGoneHooks...)
	e.accountsMu.RUnlock()
	for _, fn := range gone {
		fn(a.SID)
	}
	return nil
}

// onAccountRemoved runs fn with the SID of every account removed from now
// on, so servers holding per-account state (the Sync projection, the event
// bridge) let go of it.
func (e *Emulator) onAccountRemoved(fn func(sid string)) {
	e.accountsMu.Lock()
	defer e.accountsMu.Unlock()
	e.accountGoneHooks = append(e.accountGoneHooks, fn)
}

// shutdown stops what runs on its own for an account taken out: its clock's
// timers and its webhook deliveries.
func (a *Account) shutdown() {
	a.clock.Stop()
	_ = a.webhooks.Close(0)
}

// MaxAccounts bounds the accounts of one emulator, the primary included:
// each may grow to its own timeline and delivery-log bounds, so a suite
// that creates accounts and never deletes them meets a clear error rather
// than an emulator that slowly fills the machine.
const MaxAccounts = 100

// addAccount makes a serve requests and runs the account hooks on it. A SID
// already in use is Twilio's 409; one account more than MaxAccounts is 400.
func (e *Emulator) addAccount(a *Account) error {
	e.accountsMu.Lock()
	if _, taken := e.accounts[a.SID]; taken {
		e.accountsMu.Unlock()
		return accountExists(a.SID)
	}
	if len(e.accounts) >= MaxAccounts {
		e.accountsMu.Unlock()
		return twilio.BadRequest("this emulator already has %d accounts, the most it keeps: delete one (DELETE /emulator/v1/accounts/{AccountSid}) first", MaxAccounts)
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

func accountExists(sid string) error {
	return twilio.Conflict(twilio.CodeConflict, "account %s already exists in this emulator", sid)
}

// removeAccount forgets a non-primary account; its requests fail with 401
// from then on. The caller stops its clock and webhooks.
func (e *Emulator) removeAccount(sid string) (*Account, error) {
	e.accountsMu.Lock()
	defer e.accountsMu.Unlock()
	a, ok := e.accounts[sid]
	if !ok {
		return nil, twilio.NotFound(fmt.Sprintf("%s%s", AccountPrefix, sid))
	}
	if a == e.primary {
		return nil, twilio.BadRequest("the primary account %s cannot be removed", sid)
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

// resolveFixture finds the fixture ref names and returns it with the
// reference to keep (a file's absolute path; otherwise ref itself).
func (e *Emulator) resolveFixture(ref, dir string, allowFiles bool) (*fixture.Fixture, string, error) {
	if ref == "" {
		return e.opts.Fixture, "", nil
	}
	if data, err := fs.ReadFile(fixtures.Files, ref); err == nil && !strings.ContainsAny(ref, "/\\") {
		f, err := fixture.Parse(ref, data)
		if err != nil {
			return nil, "", twilio.InvalidParam("fixture", "%v", err)
		}
		return f, ref, nil
	}
	if allowFiles && !strings.Contains(ref, "\n") {
		path := ref
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if _, err := os.Stat(path); err == nil {
			f, err := fixture.LoadFile(path)
			if err != nil {
				return nil, "", twilio.InvalidParam("fixture", "%v", err)
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				abs = path
			}
			return f, abs, nil
		}
	}
	if strings.ContainsAny(ref, "\n:") {
		f, err := fixture.Parse("inline fixture", []byte(ref))
		if err != nil {
			return nil, "", twilio.InvalidParam("fixture", "%v", err)
		}
		return f, ref, nil
	}
	what := "a shipped fixture"
	if allowFiles {
		what += ", a file"
	}
	return nil, "", twilio.InvalidParam("fixture", "%q is neither %s nor fixture YAML (shipped fixtures: %s)",
		ref, what, strings.Join(shippedFixtures(), ", "))
}

// shippedFixtures names the fixtures embedded in the binary.
func shippedFixtures() []string {
	names, _ := fs.Glob(fixtures.Files, "*.yaml")
	sort.Strings(names)
	return names
}

// addFixtureAccounts creates the accounts the emulator's fixture lists in
// its accounts section, except those already there (restored from a state
// file); an error names the entry's line.
func (e *Emulator) addFixtureAccounts() error {
	f := e.opts.Fixture
	for i, spec := range f.Accounts {
		if _, restored := e.lookupAccount(spec.SID); restored {
			continue // a state file brought it back as it was saved
		}
		_, err := e.createAccount(AccountParams{SID: spec.SID, AuthToken: spec.AuthToken,
			FriendlyName: spec.FriendlyName, Fixture: spec.Fixture}, f.Dir, true)
		if err != nil {
			var te *twilio.Error
			if errors.As(err, &te) {
				err = errors.New(te.Message)
			}
			return f.Errorf(spec.Line, fmt.Sprintf("accounts[%d]", i), "%v", err)
		}
	}
	return nil
}

// authTokenAlphabet is what a minted auth token is made of: letters and
// digits, as twilio-go requires of credentials it signs with.
const authTokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newAuthToken mints 32 random letters and digits.
func newAuthToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		// 256 is not a multiple of 62: the bias is immaterial for a test credential.
		b[i] = authTokenAlphabet[int(b[i])%len(authTokenAlphabet)]
	}
	return string(b[:])
}

// checkAuthToken accepts 8 to 64 letters and digits.
func checkAuthToken(t string) error {
	if len(t) < 8 || len(t) > 64 || strings.Trim(t, authTokenAlphabet) != "" {
		return twilio.InvalidParam("auth_token", "must be 8 to 64 letters and digits")
	}
	return nil
}
