// Package steps is flexemu's importable Godog step library. Register is a
// godog ScenarioInitializer:
//
//	suite := godog.TestSuite{ScenarioInitializer: steps.Register, …}
//
// or, with options, steps.Configure(steps.WithURL(url, sid, token)). Your own
// initializer can call it too: func(sc *godog.ScenarioContext) { steps.Register(sc); mySteps(sc) }.
//
// Each scenario gets a fresh in-process emulator (or, with WithURL, a reset
// of an already running one) and drives it from outside, as a user would:
// the control API for customer messages and time, the real twilio-go client
// for everything an agent or a backend does.
//
// # How the library is laid out (for contributors)
//
// One file per product area (emulator_steps.go, taskrouter_steps.go,
// transfer_steps.go…) starts with a table of its steps:
//
//	var transferSteps = []stepDef{
//		{pattern: `^the transfer should be "([^"]+)"$`, fn: (*World).transferShouldBe,
//			doc: "the Flex transfer the scenario started has this status"},
//	}
//
// and then the steps themselves, named methods on *World that take the
// step's context first and godog's arguments after it:
//
//	func (w *World) transferShouldBe(ctx context.Context, want string) error
//
// The table is listed in areas (register.go), which Register walks to
// register every step; docs/steps.md is generated from the same tables
// (scripts/gen-steps-reference.sh), and TestStepsReference fails when it is
// stale. A step never finds the World itself: the registration passes it,
// with the emulator started (unless the def says starts: true).
//
// All of a scenario's state lives in World, as fields or small structs it
// owns (tasks, transfer, desktops, flow); FromContext(ctx) is the one handle.
// State that must outlive "the emulator is running…" (which restarts the
// emulator) is released in end, the rest in close. Steps match timeline
// entries on their Type, SID and Refs, never on the human-readable Summary.
package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/fixtures"
	"github.com/twilio/twilio-go"
)

// Option configures the steps Configure registers.
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
	// conversationSID and taskSID are what the last customer message created
	// ("the conversation", "the task"); other steps move them on (a
	// transfer's new task, a webchat's conversation).
	conversationSID string
	taskSID         string

	tasks           namedTasks               // tasks the scenario named (taskrouter_lookup.go)
	transfer        transferState            // the Flex transfer the scenario started (transfer_steps.go)
	webchatIdentity string                   // the webchat customer's identity (webchat_steps.go)
	desktops        map[string]*agentDesktop // identity → running agent desktop (agent_desktop.go)
	flow            *flowAuthor              // flow-author state and widget mock (flow_author.go)
}

type worldKey struct{}

// FromContext returns the scenario's World, for steps users add themselves.
func FromContext(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

// newWorld is a scenario's fresh state; s (nil outside a scenario) locates
// the feature file that flow paths are relative to.
func newWorld(cfg config, s *godog.Scenario) *World {
	dir := ""
	if s != nil {
		dir = filepath.Dir(s.Uri)
	}
	return &World{cfg: cfg, tasks: newNamedTasks(), flow: newFlowAuthor(dir)}
}

// Ensure returns the scenario's World, starting its emulator on first use;
// for steps users write themselves.
func Ensure(ctx context.Context) (*World, error) {
	w := FromContext(ctx)
	if w == nil {
		return nil, errors.New("flexemu steps: no world in context; use steps.Register as the ScenarioInitializer")
	}
	if err := w.ensure(); err != nil {
		return nil, err
	}
	return w, nil
}

// ensure starts the scenario's emulator, with the configured fixture, unless
// a step already did.
func (w *World) ensure() error {
	if w.Control != nil {
		return nil
	}
	return w.start(w.cfg.fixture)
}

func (w *World) start(fixtureName string) error {
	w.close()
	sid, token := w.cfg.accountSID, w.cfg.authToken
	if w.cfg.url != "" {
		w.URL = w.cfg.url
		// Scoped to the configured account (the primary when none is), so
		// suites sharing one emulator each reset and drive their own.
		w.Control = remote.New(w.URL).ForAccount(sid)
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

// close releases what belongs to the scenario's emulator: start calls it
// before starting another one.
func (w *World) close() {
	for _, d := range w.desktops {
		d.close()
	}
	w.desktops = nil
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

// end releases everything at the end of the scenario.
func (w *World) end() {
	w.close()
	w.flow.close()
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
