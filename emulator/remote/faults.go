package remote

import (
	"context"
	"net/http"
	"net/url"

	"github.com/flexemu/flexemu/emulator/controlapi"
)

// AddFault declares an injected fault (POST /emulator/v1/faults): a route
// fault (spec.Path) or a webhook fault (spec.URL). It answers the fault
// with its ID, or Twilio's 400 naming what is wrong with spec.
func (c *Client) AddFault(ctx context.Context, spec controlapi.FaultSpec) (*controlapi.Fault, error) {
	var out controlapi.Fault
	if err := c.do(ctx, http.MethodPost, "/faults", spec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Faults lists the declared faults, spent ones included, in the order they
// are matched.
func (c *Client) Faults(ctx context.Context) ([]controlapi.Fault, error) {
	var out struct {
		Faults []controlapi.Fault `json:"faults"`
	}
	return out.Faults, c.do(ctx, http.MethodGet, "/faults", nil, &out)
}

// RemoveFault removes one fault by ID.
func (c *Client) RemoveFault(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/faults/"+url.PathEscape(id), nil, nil)
}

// ClearFaults removes every fault (the fixture's come back at the next Reset).
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/faults", nil, nil)
}
