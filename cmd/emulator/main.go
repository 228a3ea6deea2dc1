// Command emulator runs flexemu, the local Twilio Flex Conversations emulator.
//
//	emulator up [--addr 127.0.0.1:7070] [--fixture FILE.yaml] [--account-sid AC…] [--auth-token T] [--clock real|manual]
//	emulator exec [up flags] -- CMD [ARGS…]
//	emulator token [--url http://127.0.0.1:7070] [--ttl 3600] [--json] IDENTITY
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/flexemu/flexemu/emulator"
)

const usage = `flexemu — a local emulator for the Twilio Flex Conversations inbound path.

Usage:
  emulator up [flags]     start the emulator (Ctrl-C to stop)
  emulator exec [flags] -- CMD ARGS…
                          run CMD against a fresh emulator on a free port (for CI)
  emulator token alice    print an Access Token for agent alice and the SDK URLs
  emulator help           show this help

Run "emulator up --help" for the flags of up (exec takes the same).
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
	case "exec":
		return execCmd(args[1:], stdout, stderr)
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
	options := upFlags(fs, envOr("FLEXEMU_ADDR", emulator.DefaultAddr))
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: emulator up [flags]\n\nStarts flexemu and serves Twilio's Conversations, Flex, TaskRouter and Studio APIs.\n"+
			"The listen address defaults to FLEXEMU_ADDR when set.\n\nFlags:\n")
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
	opts, err := options()
	if err != nil {
		fmt.Fprintf(stderr, "emulator up: %v\n", err)
		return exitCode(err)
	}
	emu, err := launch(opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "emulator up: %v\n", err)
		return 1
	}
	emulator.WriteBanner(stdout, emu.Info(emu.URL()))
	if note := emu.StateNote(); note != "" {
		fmt.Fprintln(stdout, note)
	}
	warnBeyondLoopback(stderr, emu.URL())
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
