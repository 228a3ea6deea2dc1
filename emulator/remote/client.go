// Package remote is the Go client of a running emulator's control API
// (/emulator/v1): what the send CLI and the Godog steps use to drive an
// emulator from outside its process.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Client talks to one emulator.
type Client struct {
	URL  string // e.g. http://127.0.0.1:7070
	HTTP *http.Client
	// Account, when set, is the account (AC…) every account route acts on
	// (inbound, reset, clock…); empty is the emulator's primary account.
	Account string
}

// New returns a client for the emulator at url.
func New(url string) *Client {
	// No client-wide timeout: Messages may wait for minutes; callers bound
	// every call with their context.
	return &Client{URL: strings.TrimRight(url, "/"), HTTP: &http.Client{}}
}

// ErrNotRunning means nothing answered at the emulator URL.
var ErrNotRunning = errors.New("the emulator is not running")

// Health checks that the emulator answers.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/health", nil, nil)
}

// Info returns the emulator's account, addresses and defaults.
func (c *Client) Info(ctx context.Context) (*controlapi.Info, error) {
	var info controlapi.Info
	return &info, c.do(ctx, http.MethodGet, "/info", nil, &info)
}

// Inbound sends a customer message and returns what it caused.
func (c *Client) Inbound(ctx context.Context, p controlapi.InboundParams) (*controlapi.Trace, error) {
	var tr controlapi.Trace
	return &tr, c.do(ctx, http.MethodPost, "/inbound", p, &tr)
}

// Reset restores the loaded fixture.
func (c *Client) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reset", nil, nil)
}

// Timeline returns entries after seq.
func (c *Client) Timeline(ctx context.Context, after int64) ([]timeline.Entry, error) {
	var out struct {
		Entries []timeline.Entry `json:"entries"`
	}
	return out.Entries, c.do(ctx, http.MethodGet, fmt.Sprintf("/timeline?after=%d", after), nil, &out)
}

// Advance moves the emulator's virtual clock forward.
func (c *Client) Advance(ctx context.Context, d time.Duration) error {
	return c.do(ctx, http.MethodPost, "/clock/advance", map[string]any{"seconds": d.Seconds()}, nil)
}

// Messages returns the conversation's messages after index after, waiting
// up to wait for one to arrive.
func (c *Client) Messages(ctx context.Context, conversationSID string, after int, wait time.Duration) ([]controlapi.ConversationMessage, error) {
	var out struct {
		Messages []controlapi.ConversationMessage `json:"messages"`
	}
	path := fmt.Sprintf("/conversations/%s/messages?after=%d&wait=%s", url.PathEscape(conversationSID), after, wait)
	return out.Messages, c.do(ctx, http.MethodGet, path, nil, &out)
}

// AgentReply posts a message as the agent identity would from the Flex UI.
func (c *Client) AgentReply(ctx context.Context, conversationSID, identity, body string) (*controlapi.ConversationMessage, error) {
	var m controlapi.ConversationMessage
	path := "/conversations/" + url.PathEscape(conversationSID) + "/messages"
	return &m, c.do(ctx, http.MethodPost, path, map[string]string{"author": identity, "body": body}, &m)
}

// Settle waits until the webhooks already caused, and the emulator's
// reactions to their answers (assignment callback instructions…), are done.
func (c *Client) Settle(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/settle", nil, nil)
}

// Deliveries returns the webhook delivery log.
func (c *Client) Deliveries(ctx context.Context) ([]webhook.Delivery, error) {
	var out struct {
		Deliveries []webhook.Delivery `json:"deliveries"`
	}
	return out.Deliveries, c.do(ctx, http.MethodGet, "/webhooks", nil, &out)
}

// Token mints an Access Token for the agent SDKs (POST /emulator/v1/tokens).
func (c *Client) Token(ctx context.Context, p controlapi.TokenParams) (*controlapi.AgentToken, error) {
	var out controlapi.AgentToken
	return &out, c.do(ctx, http.MethodPost, "/tokens", p, &out)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+c.prefix(path)+path, body)
	if err != nil {
		return fmt.Errorf("bad emulator URL %q: %w", c.URL, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s (start it with `make up` or `go run ./cmd/emulator up`): %v", ErrNotRunning, c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading emulator response: %w", err)
	}
	if resp.StatusCode >= 300 {
		var te twilio.Error
		if json.Unmarshal(raw, &te) == nil && te.Code != 0 {
			return &te
		}
		return fmt.Errorf("emulator answered %s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decoding emulator response: %w", err)
	}
	return nil
}
