package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/fixtures"
)

var accountSteps = []stepDef{
	{pattern: `^a fresh account$`, fn: (*World).freshAccount,
		doc: "creates an account of its own in the emulator, from the emulator's fixture; the rest of the scenario drives it and its end deletes it"},
	{pattern: `^a fresh account with the fixture "([^"]+)"$`, fn: (*World).freshAccountWithFixture,
		doc: `the same, from a shipped fixture ("sales-support.yaml") or a fixture file`},
}

func (w *World) freshAccount(ctx context.Context) error { return w.useFreshAccount(ctx, "") }

func (w *World) freshAccountWithFixture(ctx context.Context, name string) error {
	return w.useFreshAccount(ctx, name)
}

// useFreshAccount creates an account through the control API and points the
// scenario's control client, twilio-go client and Info at it, so scenarios
// sharing one emulator each work in their own account.
func (w *World) useFreshAccount(ctx context.Context, fixtureName string) error {
	if w.receiver != nil || len(w.desktops) > 0 {
		return errors.New("a fresh account must come before the webhook receiver and agent desktops, which use the account's credentials")
	}
	if _, err := fs.Stat(fixtures.Files, fixtureName); fixtureName != "" && err != nil {
		// Not shipped: the control API takes a fixture's YAML, not a path on
		// the emulator's machine, so send the file's content.
		data, err := os.ReadFile(fixtureName)
		if err != nil {
			return fmt.Errorf("fixture %q is neither a shipped fixture nor a readable file: %w", fixtureName, err)
		}
		fixtureName = string(data)
	}
	acct, err := w.Control.CreateAccount(ctx, controlapi.AccountParams{FriendlyName: "flexemu steps scenario", Fixture: fixtureName})
	if err != nil {
		return fmt.Errorf("creating a fresh account: %w", err)
	}
	base := w.Control
	w.OnClose(func() { _ = base.DeleteAccount(context.Background(), acct.AccountSID) })
	info := acct.Info
	w.Control, w.Info = base.ForAccount(acct.AccountSID), &info
	w.Twilio = twilioclient.New(w.URL, acct.AccountSID, acct.AuthToken)
	return nil
}
