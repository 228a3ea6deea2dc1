package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/fixture"
)

// usageError is a bad flag value: the command exits 2, like a flag the
// flag package refuses, rather than 1 (a failure at run time).
type usageError struct{ error }

// upFlags declares the flags that configure an emulator on fs and returns
// the function that turns their parsed values into emulator options. `up`
// and `exec` both use it, so a flag added here is a flag of both.
// defaultAddr is the listen address when neither --addr nor (for up)
// FLEXEMU_ADDR says otherwise.
func upFlags(fs *flag.FlagSet, defaultAddr string) func() ([]emulator.Option, error) {
	addr := fs.String("addr", defaultAddr, "listen address; 127.0.0.1:0 picks a free port")
	fixturePath := fs.String("fixture", os.Getenv("FLEXEMU_FIXTURE"), "fixture YAML to load instead of the embedded default (env FLEXEMU_FIXTURE)")
	sid := fs.String("account-sid", os.Getenv("FLEXEMU_ACCOUNT_SID"), "account SID (default "+emulator.DefaultAccountSID+")")
	token := fs.String("auth-token", os.Getenv("FLEXEMU_AUTH_TOKEN"), "auth token (default "+emulator.DefaultAuthToken+")")
	clockMode := fs.String("clock", "real", "clock mode: real (timers fire on wall time) or manual (time moves only via the control API)")
	state := fs.String("state", os.Getenv("FLEXEMU_STATE"), "state file: restored at start when it exists (else the fixture is applied), saved on a clean shutdown and by POST /emulator/v1/snapshot (env FLEXEMU_STATE)")
	return func() ([]emulator.Option, error) {
		if *clockMode != string(clock.Real) && *clockMode != string(clock.Manual) {
			return nil, usageError{fmt.Errorf("--clock must be real or manual, not %q", *clockMode)}
		}
		opts := []emulator.Option{emulator.WithAddr(*addr), emulator.WithCredentials(*sid, *token),
			emulator.WithClock(clock.Mode(*clockMode)), emulator.WithStateFile(*state)}
		if *fixturePath != "" {
			f, err := fixture.LoadFile(*fixturePath)
			if err != nil {
				return nil, err
			}
			opts = append(opts, emulator.WithFixture(f))
		}
		return opts, nil
	}
}

// exitCode is the status for an error from upFlags' options function.
func exitCode(err error) int {
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}

// launch builds and starts the emulator from opts, logging to
// stderr, and warns on stderr when it listens beyond loopback.
func launch(opts []emulator.Option, stderr io.Writer) (*emulator.Emulator, error) {
	opts = append(opts, emulator.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	emu, err := emulator.New(opts...)
	if err != nil {
		return nil, err
	}
	if err := emu.Start(); err != nil {
		return nil, err
	}
	return emu, nil
}

// warnBeyondLoopback says loudly, on w, that the unauthenticated control
// API is reachable from the network when the emulator at url listens
// beyond loopback (0.0.0.0 in a container, a LAN address).
func warnBeyondLoopback(w io.Writer, url string) {
	addr := strings.TrimPrefix(url, "http://")
	if !emulator.ListensBeyondLoopback(addr) {
		return
	}
	fmt.Fprintf(w, "\nWARNING: flexemu is listening on %s, beyond loopback: other machines on your network can\n"+
		"reach it, including its control API (/emulator/v1), which has NO authentication and hands out\n"+
		"the account's auth token. Use --addr 127.0.0.1:PORT unless you really mean to expose it\n"+
		"(e.g. inside a container).\n\n", addr)
}
