package convsync

import (
	"context"
	"encoding/json"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// addParticipant answers AIM 9 through onParticipantAdd: a chat participant
// (identity) or a channel one (messaging_binding{address, proxy_address}).
func (c *conn) addParticipant(ctx context.Context, ref string, b body) twilsock.Response {
	sid, err := c.resolveConversation(ref)
	if err != nil {
		return aimError(err)
	}
	p := conversations.CreateParticipantParams{Origin: c.origin()}
	if v := b.str("identity"); v != nil {
		p.Identity = *v
	}
	if v := b.str("attributes"); v != nil {
		p.Attributes = *v
	}
	if raw, ok := b["messaging_binding"]; ok {
		var mb struct {
			Address      string `json:"address"`
			ProxyAddress string `json:"proxy_address"`
			Projected    string `json:"projected_address"`
		}
		_ = json.Unmarshal(raw, &mb)
		p.Address, p.ProxyAddress, p.ProjectedAddress = mb.Address, mb.ProxyAddress, mb.Projected
	}
	return c.act(ctx, func(eng *conversations.Engine) (*conversations.Pending, error) { return eng.PrepareParticipant(sid, p) },
		func(eng *conversations.Engine, _ view, res *conversations.Result) any {
			return c.participantJSON(eng, res.Participant)
		})
}

// updateParticipant answers AIM 10 (attributes).
func (c *conn) updateParticipant(ref, participant string, b body) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		p, err := eng.UpdateParticipant(sid, participant, conversations.UpdateParticipantParams{Attributes: b.str("attributes"), Origin: c.origin()})
		if err != nil {
			return nil, err
		}
		return c.participantJSON(eng, p), nil
	})
}

// removeParticipant answers AIM 11 (by MB SID or identity); leaving is
// removing one's own participant.
func (c *conn) removeParticipant(ref, participant string) twilsock.Response {
	return c.do(func(eng *conversations.Engine, _ view) (any, error) {
		sid, err := c.convSID(eng, ref)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, eng.RemoveParticipant(sid, participant, c.origin())
	})
}
