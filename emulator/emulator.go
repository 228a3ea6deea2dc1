// Package emulator is flexemu as a library: an in-process Twilio Flex
// Conversations emulator (Conversations, Studio, Flex Interactions,
// TaskRouter) with one HTTP server speaking Twilio's wire format.
//
//	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"))
//	err = emu.Start()
//	defer emu.Close()
//
// In Go tests, emulatortest.Run(t) does the same and registers cleanup.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/mcs"
	"github.com/flexemu/flexemu/emulator/webhook"
	"github.com/flexemu/flexemu/fixtures"
)

// Default credentials: fixed so a developer can paste them into .env once.
// Both are alphanumeric, as twilio-go requires.
const (
	DefaultAccountSID = controlapi.DefaultAccountSID
	DefaultAuthToken  = controlapi.DefaultAuthToken
	DefaultAddr       = controlapi.DefaultAddr
)

// Options configure an Emulator; the zero value of each field means its default.
type Options struct {
	Addr       string           // listen address; default 127.0.0.1:7070, "127.0.0.1:0" picks a port
	AccountSID string           // default DefaultAccountSID (or the fixture's)
	AuthToken  string           // default DefaultAuthToken (or the fixture's)
	Fixture    *fixture.Fixture // default: the embedded fixtures/default.yaml
	ClockMode  clock.Mode       // default clock.Manual
	ClockStart time.Time        // manual clock start; default 2026-01-05T09:00:00Z
	Logger     *slog.Logger     // where panics and shutdown reports go; default slog.Default()
	// StateFile, when set, is restored at New when it exists (instead of
	// applying the fixture) and saved on Close (see snapshot.go).
	StateFile string
}

// Option changes Options.
type Option func(*Options)

// WithAddr sets the listen address.
func WithAddr(addr string) Option { return func(o *Options) { o.Addr = addr } }

// WithCredentials sets the account SID and auth token.
func WithCredentials(sid, token string) Option {
	return func(o *Options) { o.AccountSID, o.AuthToken = sid, token }
}

// WithFixture loads f instead of the embedded default.
func WithFixture(f *fixture.Fixture) Option { return func(o *Options) { o.Fixture = f } }

// WithLogger sends the emulator's own log (recovered panics, what shutdown
// abandons) to l.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithStateFile restores the emulator's state from path when it exists and
// saves it there on a clean Close.
func WithStateFile(path string) Option { return func(o *Options) { o.StateFile = path } }

// WithClock selects the clock mode (manual for tests, real for interactive use).
func WithClock(mode clock.Mode) Option { return func(o *Options) { o.ClockMode = mode } }

// Emulator is a running (or ready to run) flexemu server.
type Emulator struct {
	opts Options

	// accountsMu guards the account table: accounts may be added and
	// removed while serving (accounts.go).
	accountsMu   sync.RWMutex
	accounts     map[string]*Account
	accountOrder []*Account
	accountHooks []func(*Account)
	// accountGoneHooks run when an account is removed (onAccountRemoved).
	accountGoneHooks []func(string)
	primary          *Account
	handler          http.Handler
	log              *slog.Logger

	// Host header checks (guard.go): the configured listen host, Twilio's
	// product hosts, and whether any Host goes (listening beyond loopback).
	listenHost   string
	productHosts map[string]struct{}
	openHosts    bool

	// media is what the Conversations SDKs uploaded (the media service).
	media *mcs.Store
	// state is the state file's bookkeeping (snapshot.go).
	state stateKeeper

	mu       sync.Mutex
	listener net.Listener
	server   *http.Server
	served   chan struct{}
	closed   bool
	// stop cancels every request's context, so long polls (send --wait)
	// end at once on Close instead of holding up the shutdown.
	stop context.CancelFunc
}

// New builds an emulator and applies its fixture; it does not listen yet.
func New(opts ...Option) (*Emulator, error) {
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Fixture == nil {
		f, err := fixture.Parse("default.yaml", fixtures.Default)
		if err != nil {
			return nil, fmt.Errorf("embedded default fixture: %w", err)
		}
		o.Fixture = f
	}
	if o.AccountSID == "" {
		o.AccountSID = firstNonEmpty(o.Fixture.Account.SID, DefaultAccountSID)
	}
	if o.AuthToken == "" {
		o.AuthToken = firstNonEmpty(o.Fixture.Account.AuthToken, DefaultAuthToken)
	}
	if o.ClockMode == "" {
		o.ClockMode = clock.Manual
	}
	if o.ClockStart.IsZero() {
		o.ClockStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	rs, err := restoreState(o) // no accounts when there is no state file (yet)
	if err != nil {
		return nil, err
	}
	accts, restored := rs.accounts, rs.accounts != nil
	if !restored {
		clk := clock.New(o.ClockMode, o.ClockStart)
		acct, err := newAccount(o.AccountSID, o.AuthToken, clk, o.Fixture, o.Logger)
		if err != nil {
			clk.Stop()
			return nil, err
		}
		acct.FriendlyName = firstNonEmpty(o.Fixture.Account.FriendlyName, "flexemu account "+acct.SID)
		accts = []*Account{acct}
	}
	e := &Emulator{opts: o, accounts: map[string]*Account{}, accountOrder: accts, primary: accts[0], log: o.Logger,
		productHosts: map[string]struct{}{}, media: mcs.NewStore(0, 0)}
	for _, a := range accts {
		e.accounts[a.SID] = a
	}
	e.state.note = rs.note
	for _, p := range products {
		e.productHosts[p.Host] = struct{}{}
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		host = o.Addr
	}
	e.listenHost = strings.ToLower(strings.Trim(host, "[]"))
	ip := net.ParseIP(e.listenHost)
	e.openHosts = e.listenHost == "" || (ip != nil && ip.IsUnspecified())
	e.handler = e.routes()
	// After routes: mounting the media service clears each account's media.
	if err := e.media.Import(rs.media); err != nil {
		_ = e.Close()
		return nil, fmt.Errorf("snapshot %s: %w", o.StateFile, err)
	}
	if !restored { // a snapshot holds the fixture's accounts already
		if err := e.addFixtureAccounts(); err != nil {
			_ = e.Close()
			return nil, err
		}
	}
	e.state.ready = true
	return e, nil
}

// Start listens on the configured address and serves in the background.
func (e *Emulator) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listener != nil {
		return errors.New("emulator already started")
	}
	ln, err := net.Listen("tcp", e.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.opts.Addr, err)
	}
	e.listener = ln
	base, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.server = &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }}
	e.served = make(chan struct{})
	go func() {
		defer close(e.served)
		_ = e.server.Serve(ln)
	}()
	return nil
}

// URL is the emulator's base URL ("http://127.0.0.1:7070"); empty before Start.
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listener == nil {
		return ""
	}
	return "http://" + e.listener.Addr().String()
}

// Handler serves the emulator without a listener (for httptest or custom servers).
func (e *Emulator) Handler() http.Handler { return e.handler }

// Account is the emulator's (primary) account.
func (e *Emulator) Account() *Account { return e.primary }

// Close stops serving, gives queued and in-flight webhooks
// webhook.ShutdownGrace to finish, logs what it abandons, and stops timers.
// It returns within a few seconds whatever the receivers do. It is
// idempotent.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	srv, served, stop := e.server, e.served, e.stop
	e.mu.Unlock()
	var err error
	if srv != nil {
		// Cancelling every request's context ends long polls and pre-event
		// waits at once, so Shutdown only waits for handlers to write.
		stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err = srv.Shutdown(ctx); err != nil {
			err = srv.Close()
		}
		cancel()
		<-served
	}
	for _, a := range e.Accounts() {
		a.clock.Stop()
		if abandoned := a.webhooks.Close(webhook.ShutdownGrace); len(abandoned) > 0 {
			events := map[string]int{}
			for _, r := range abandoned {
				events[r.Event+" → "+r.URL]++
			}
			e.log.Warn("shutdown abandoned webhooks that were not delivered in time", "account", a.SID,
				"count", len(abandoned), "by_event_and_url", events)
		}
	}
	// Saved last: nothing serves or delivers any more, so nothing changes under it.
	if e.state.ready && e.opts.StateFile != "" {
		if _, serr := e.SaveState(); serr != nil {
			e.log.Error("the state was not saved on shutdown", "state_file", e.opts.StateFile, "error", serr)
			err = errors.Join(err, serr)
		}
	}
	return err
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
