// Command send delivers a customer message to a running flexemu and prints
// what happened, hop by hop.
//
//	send [--emulator URL] [--from ADDR] [--to ADDR] [--json] TEXT
//	send --channel webchat [--from IDENTITY] [--to ADDRESS] [--pre-engagement JSON] TEXT
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/remote"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("emulator", envOr("FLEXEMU_URL", "http://"+controlapi.DefaultAddr), "emulator URL (env FLEXEMU_URL)")
	from := fs.String("from", "", "customer address (default: the fixture's customer for the address's channel); with --channel webchat, the chat identity")
	to := fs.String("to", "", "address the customer writes to (default: the emulator's first configured address); with --channel webchat, the chat address (default: the first of type chat)")
	channel := fs.String("channel", "", `"webchat" to write as a Flex webchat customer (default: the messaging channel of --to)`)
	preEngagement := fs.String("pre-engagement", "", `webchat pre-engagement form data, a JSON object, e.g. '{"friendlyName":"Ana"}' (default: the identity as friendlyName)`)
	asJSON := fs.Bool("json", false, "print the trace as JSON")
	wait := fs.Duration("wait", 0, "after sending, print replies (Studio, agents) for this long, e.g. 2m")
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
	if *channel != "" && *channel != controlapi.ChannelWebchat {
		fmt.Fprintf(stderr, "send: --channel %q: only webchat is a channel of its own (SMS, WhatsApp… follow from --to)\n", *channel)
		return 2
	}
	if *preEngagement != "" && *channel != controlapi.ChannelWebchat {
		fmt.Fprintln(stderr, "send: --pre-engagement needs --channel webchat")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := remote.New(*url)
	tr, err := c.Inbound(ctx, controlapi.InboundParams{From: *from, To: *to, Body: text,
		Channel: *channel, PreEngagementData: *preEngagement})
	if err != nil {
		fmt.Fprintf(stderr, "send: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(tr)
	} else {
		remote.PrintTrace(stdout, tr)
	}
	if *wait > 0 {
		if err := printReplies(c, tr, *wait, stdout); err != nil {
			fmt.Fprintf(stderr, "send: %v\n", err)
			return 1
		}
	}
	return 0
}

// printReplies shows the conversation's later messages as they arrive.
func printReplies(c *remote.Client, tr *controlapi.Trace, wait time.Duration, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	deadline := time.Now().Add(wait)
	fmt.Fprintf(w, "waiting %s for replies in %s (Ctrl-C to stop)\n", wait, tr.ConversationSID)
	last := tr.MessageIndex
	for remaining := time.Until(deadline); remaining > 0 && ctx.Err() == nil; remaining = time.Until(deadline) {
		msgs, err := c.Messages(ctx, tr.ConversationSID, last, remaining)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, m := range msgs {
			fmt.Fprintf(w, "← %s: %s\n", m.Author, m.Body)
			last = m.Index
		}
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
