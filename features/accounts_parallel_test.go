package features

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/features/steps"
)

// ranScenarios is godog's summary line: scenarios run and passed.
var ranScenarios = regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`)

// TestAccountsRunFeaturesInParallel is how parallel test packages share one
// emulator: each creates its own account and points the step library at it
// with steps.WithURL(url, sid, token). Two accounts run the same features at
// the same time (pairs per fixture); every suite passes, so none saw
// another's conversations, tasks, clock, webhooks or resets, and the
// primary account they never used stays untouched.
func TestAccountsRunFeaturesInParallel(t *testing.T) {
	emu := emulatortest.Run(t)
	ctx := context.Background()
	ctl := remote.New(emu.URL())
	primaryLast := emu.Account().Timeline().Last()

	type suite struct {
		name, fixture string
		paths         []string
	}
	var suites []suite
	for _, who := range []string{"A", "B"} {
		suites = append(suites,
			suite{"routing-" + who, "sales-support.yaml", []string{"routing.feature"}},
			suite{"inbound-and-webhooks-" + who, "", []string{"inbound.feature", "webhooks.feature"}})
	}
	t.Run("suites", func(t *testing.T) {
		for _, s := range suites {
			acct, err := ctl.CreateAccount(ctx, emulator.AccountParams{FriendlyName: s.name, Fixture: s.fixture})
			if err != nil {
				t.Fatal(err)
			}
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				var out bytes.Buffer
				configured := steps.Configure(steps.WithURL(emu.URL(), acct.AccountSID, acct.AuthToken))
				status := godog.TestSuite{
					Name: s.name,
					ScenarioInitializer: func(sc *godog.ScenarioContext) {
						configured(sc)
						registerBackendSteps(sc)
					},
					Options: &godog.Options{Format: "progress", Paths: s.paths, Strict: true, NoColors: true, Output: &out, Concurrency: 1},
				}.Run()
				if status != 0 {
					t.Fatalf("suite %s on account %s failed:\n%s", s.name, acct.AccountSID, out.String())
				}
				// A path that found no feature would pass too: count what ran.
				m := ranScenarios.FindStringSubmatch(out.String())
				if m == nil || m[1] != m[2] || m[1] == "0" {
					t.Fatalf("suite %s ran no scenarios, or not all passed:\n%s", s.name, out.String())
				}
			})
		}
	})
	if got := emu.Account().Timeline().Last(); got != primaryLast {
		t.Errorf("the primary account's timeline moved from %d to %d while the suites ran on their own accounts", primaryLast, got)
	}
	if n := len(emu.Accounts()); n != 1+len(suites) {
		t.Errorf("%d accounts, want %d", n, 1+len(suites))
	}
}
