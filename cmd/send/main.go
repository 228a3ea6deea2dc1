// Command send delivers a customer message to a running flexemu and prints
// what happened, hop by hop.
//
//	send [--emulator URL] [--from ADDR] [--to ADDR] [--json] TEXT
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/remote"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("emulator", envOr("FLEXEMU_URL", "http://"+emulator.DefaultAddr), "emulator URL (env FLEXEMU_URL)")
	from := fs.String("from", "", "customer address (default: the fixture's customer for the address's channel)")
	to := fs.String("to", "", "address the customer writes to (default: the emulator's first configured address)")
	asJSON := fs.Bool("json", false, "print the trace as JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: send [flags] TEXT\n\nDelivers TEXT as a customer message to flexemu and prints the trace.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(stderr, "send: nothing to send; usage: send [flags] TEXT")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := remote.New(*url)
	tr, err := c.Inbound(ctx, emulator.InboundParams{From: *from, To: *to, Body: text})
	if err != nil {
		fmt.Fprintf(stderr, "send: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(tr)
		return 0
	}
	remote.PrintTrace(stdout, tr)
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
