package env

import (
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// ForTest returns an Env on a manual clock for engine unit tests, with the
// clock returned so a test can advance it. Callbacks run without a lock, as
// a test drives the engine from one goroutine.
func ForTest() (Env, *clock.Virtual) {
	clk := clock.NewManual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	tl := timeline.New(clk, nil)
	return Env{
		AccountSID: "AC00000000000000000000000000000000",
		AuthToken:  "0123456789abcdef0123456789abcdef",
		Clock:      clk,
		Timeline:   tl,
		Webhooks:   webhook.New("0123456789abcdef0123456789abcdef", tl, clk.Now),
	}, clk
}
