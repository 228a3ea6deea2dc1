// Command emulator runs flexemu, the local Twilio Flex Conversations emulator.
//
//	emulator up [--addr 127.0.0.1:7070] [--fixture FILE.yaml] [--account-sid AC…] [--auth-token T] [--clock real|manual]
//	emulator token [--url http://127.0.0.1:7070] [--ttl 3600] [--json] IDENTITY
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/fixture"
)

const usage = `flexemu — a local emulator for the Twilio Flex Conversations inbound path.

Usage:
  emulator up [flags]     start the emulator (Ctrl-C to stop)
  emulator token alice    print an Access Token for agent alice and the SDK URLs
  emulator help           show this help

Run "emulator up --help" for the flags of up.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "up":
		return up(args[1:], stdout, stderr)
	case "token":
		return token(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "emulator: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func up(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("FLEXEMU_ADDR", emulator.DefaultAddr), "listen address; 127.0.0.1:0 picks a free port (env FLEXEMU_ADDR)")
	fixturePath := fs.String("fixture", os.Getenv("FLEXEMU_FIXTURE"), "fixture YAML to load instead of the embedded default (env FLEXEMU_FIXTURE)")
	sid := fs.String("account-sid", os.Getenv("FLEXEMU_ACCOUNT_SID"), "account SID (default "+emulator.DefaultAccountSID+")")
	token := fs.String("auth-token", os.Getenv("FLEXEMU_AUTH_TOKEN"), "auth token (default "+emulator.DefaultAuthToken+")")
	clockMode := fs.String("clock", "real", "clock mode: real (timers fire on wall time) or manual (time moves only via the control API)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: emulator up [flags]\n\nStarts flexemu and serves Twilio's Conversations, Flex, TaskRouter and Studio APIs.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "emulator up: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *clockMode != string(clock.Real) && *clockMode != string(clock.Manual) {
		fmt.Fprintf(stderr, "emulator up: --clock must be real or manual, not %q\n", *clockMode)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	opts := []emulator.Option{emulator.WithAddr(*addr), emulator.WithCredentials(*sid, *token),
		emulator.WithClock(clock.Mode(*clockMode)), emulator.WithLogger(logger)}
	if *fixturePath != "" {
		f, err := fixture.LoadFile(*fixturePath)
		if err != nil {
			fmt.Fprintf(stderr, "emulator up: %v\n", err)
			return 1
		}
		opts = append(opts, emulator.WithFixture(f))
	}
	emu, err := emulator.New(opts...)
	if err != nil {
		fmt.Fprintf(stderr, "emulator up: %v\n", err)
		return 1
	}
	if err := emu.Start(); err != nil {
		fmt.Fprintf(stderr, "emulator up: %v\n", err)
		return 1
	}
	emulator.WriteBanner(stdout, emu.Info(emu.URL()))
	if emulator.ListensBeyondLoopback(*addr) {
		fmt.Fprintf(stderr, "\nWARNING: flexemu is listening on %s, beyond loopback: other machines on your network can\n"+
			"reach it, including its control API (/emulator/v1), which has NO authentication and hands out\n"+
			"the account's auth token. Use --addr 127.0.0.1:PORT unless you really mean to expose it\n"+
			"(e.g. inside a container).\n\n", *addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	if err := emu.Close(); err != nil {
		fmt.Fprintf(stderr, "emulator: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
