package remote

import (
	"context"
	"net/http"
	"net/url"

	"github.com/flexemu/flexemu/emulator/controlapi"
)

// ForAccount returns a client whose account routes act on account sid
// (under /emulator/v1/accounts/{sid}/…), sharing c's HTTP client.
func (c *Client) ForAccount(sid string) *Client {
	cc := *c
	cc.Account = sid
	return &cc
}

// CreateAccount adds an account to the emulator (POST /emulator/v1/accounts):
// empty SID and auth token are minted, an empty fixture is the emulator's
// own. The answer carries the credentials.
func (c *Client) CreateAccount(ctx context.Context, p controlapi.AccountParams) (*controlapi.AccountInfo, error) {
	var out controlapi.AccountInfo
	return &out, c.do(ctx, http.MethodPost, "/accounts", p, &out)
}

// Accounts lists the emulator's accounts, the primary first.
func (c *Client) Accounts(ctx context.Context) ([]controlapi.AccountInfo, error) {
	var out struct {
		Accounts []controlapi.AccountInfo `json:"accounts"`
	}
	return out.Accounts, c.do(ctx, http.MethodGet, "/accounts", nil, &out)
}

// FetchAccount describes one account.
func (c *Client) FetchAccount(ctx context.Context, sid string) (*controlapi.AccountInfo, error) {
	var out controlapi.AccountInfo
	return &out, c.do(ctx, http.MethodGet, "/accounts/"+url.PathEscape(sid), nil, &out)
}

// DeleteAccount removes a non-primary account: its credentials stop
// working and its clock and webhooks stop.
func (c *Client) DeleteAccount(ctx context.Context, sid string) error {
	return c.do(ctx, http.MethodDelete, "/accounts/"+url.PathEscape(sid), nil, nil)
}

// prefix is where path lives: routes of the whole emulator (health, the
// account table, snapshots) under the control prefix, account routes under
// c.Account's prefix when it is set.
func (c *Client) prefix(path string) string {
	if c.Account == "" || controlapi.IsEmulatorPath(path) {
		return controlapi.ControlPrefix
	}
	return controlapi.AccountPrefix + url.PathEscape(c.Account)
}
