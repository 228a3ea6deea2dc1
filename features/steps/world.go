// Package steps is flexemu's importable Godog step library. Register it in
// your own suite's ScenarioInitializer:
//
//	func InitializeScenario(sc *godog.ScenarioContext) { steps.Register(sc) }
//
// Each scenario gets a fresh in-process emulator (or, with WithURL, a reset
// of an already running one) and drives it from outside, as a user would:
// the control API for customer messages and time, the real twilio-go client
// for everything an agent or a backend does.
package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/fixtures"
	"github.com/twilio/twilio-go"
)

// Option configures Register.
type Option func(*config)

type config struct {
	url, accountSID, authToken string
	fixture                    string
}

// WithURL runs scenarios against an emulator that is already running at url
// (reset before each scenario) instead of starting one per scenario.
func WithURL(url, accountSID, authToken string) Option {
	return func(c *config) { c.url, c.accountSID, c.authToken = url, accountSID, authToken }
}

// WithFixture sets the fixture each in-process scenario starts from: the
// name of a shipped fixture ("sales-support.yaml") or a file path.
func WithFixture(name string) Option { return func(c *config) { c.fixture = name } }

// World is one scenario's state.
type World struct {
	cfg      config
	emu      *emulator.Emulator // nil when driving an external emulator
	URL      string
	Control  *remote.Client
	Twilio   *twilio.RestClient
	Info     *emulator.Info
	receiver *Receiver

	cleanups []func()

	lastTrace *emulator.Trace
	lastErr   error
	// conversationSID and taskSID are what the last customer message created.
	conversationSID string
	taskSID         string
}

type worldKey struct{}

// FromContext returns the scenario's World, for steps users add themselves.
func FromContext(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// Register adds flexemu's steps and per-scenario lifecycle to sc.
func Register(sc *godog.ScenarioContext, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, worldKey{}, &World{cfg: cfg}), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if w := FromContext(ctx); w != nil {
			w.close()
		}
		return ctx, nil
	})
	registerEmulatorSteps(sc)
	registerConversationSteps(sc)
	registerTaskRouterSteps(sc)
	registerWebhookSteps(sc)
	registerFlexSteps(sc)
	registerAgentDesktopSteps(sc)
	registerFlowAuthorSteps(sc)
	registerTransferSteps(sc)
	registerWebchatSteps(sc)
}

// Ensure returns the scenario's World, starting its emulator on first use;
// for steps users write themselves.
func Ensure(ctx context.Context) (*World, error) { return world(ctx) }

// world returns the scenario's World, starting its emulator on first use.
func world(ctx context.Context) (*World, error) {
	w := FromContext(ctx)
	if w == nil {
		return nil, errors.New("flexemu steps: no world in context; call steps.Register(sc)")
	}
	if w.Control == nil {
		if err := w.start(w.cfg.fixture); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *World) start(fixtureName string) error {
	w.close()
	sid, token := w.cfg.accountSID, w.cfg.authToken
	if w.cfg.url != "" {
		w.URL = w.cfg.url
		w.Control = remote.New(w.URL)
		if err := w.Control.Reset(context.Background()); err != nil {
			return err
		}
	} else {
		opts := []emulator.Option{emulator.WithAddr("127.0.0.1:0")}
		if fixtureName != "" {
			f, err := loadFixture(fixtureName)
			if err != nil {
				return err
			}
			opts = append(opts, emulator.WithFixture(f))
		}
		emu, err := emulator.New(opts...)
		if err != nil {
			return err
		}
		if err := emu.Start(); err != nil {
			return err
		}
		w.emu, w.URL = emu, emu.URL()
		w.Control = remote.New(w.URL)
	}
	info, err := w.Control.Info(context.Background())
	if err != nil {
		return err
	}
	w.Info = info
	if sid == "" {
		sid, token = info.AccountSID, info.AuthToken
	}
	w.Twilio = twilioclient.New(w.URL, sid, token)
	return nil
}

// OnClose registers f to run when the scenario ends (servers your own steps start).
func (w *World) OnClose(f func()) { w.cleanups = append(w.cleanups, f) }

// LastTrace is what the scenario's last customer message caused.
func (w *World) LastTrace() *emulator.Trace { return w.lastTrace }

func (w *World) close() {
	for i := len(w.cleanups) - 1; i >= 0; i-- {
		w.cleanups[i]()
	}
	w.cleanups = nil
	if w.receiver != nil {
		w.receiver.Close()
		w.receiver = nil
	}
	if w.emu != nil {
		_ = w.emu.Close()
		w.emu = nil
	}
	w.Control = nil
}

// loadFixture finds a shipped fixture by name, else reads a file.
func loadFixture(name string) (*fixture.Fixture, error) {
	if data, err := fs.ReadFile(fixtures.Files, name); err == nil {
		return fixture.Parse(name, data)
	}
	if _, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("fixture %q is neither a shipped fixture nor a file", name)
	}
	return fixture.LoadFile(name)
}

func registerEmulatorSteps(sc *godog.ScenarioContext) {
	sc.Step(`^the emulator is running with the default fixture$`, func(ctx context.Context) error {
		w := FromContext(ctx)
		return w.start("")
	})
	sc.Step(`^the emulator is running with the fixture "([^"]+)"$`, func(ctx context.Context, name string) error {
		w := FromContext(ctx)
		return w.start(name)
	})
	sc.Step(`^(\d+) (second|seconds|minute|minutes) pass(?:es)?$`, func(ctx context.Context, n int, unit string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		d := time.Duration(n) * time.Second
		if strings.HasPrefix(unit, "minute") {
			d = time.Duration(n) * time.Minute
		}
		return w.Control.Advance(ctx, d)
	})
}
