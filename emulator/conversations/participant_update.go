package conversations

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// UpdateParticipantParams changes a participant; nil fields stay as they
// are. Twilio lets an update change a chat participant's Identity and
// ProjectedAddress, a channel participant's ProxyAddress (never its
// Address), and anyone's attributes, role and read horizon.
type UpdateParticipantParams struct {
	Identity             *string
	Attributes           *string
	RoleSID              *string
	ProxyAddress         *string // MessagingBinding.ProxyAddress
	ProjectedAddress     *string // MessagingBinding.ProjectedAddress
	LastReadMessageIndex *int
	// ClearLastReadMessageIndex sets last_read_message_index back to null.
	ClearLastReadMessageIndex bool
	LastReadTimestamp         *time.Time
	DateCreated               *time.Time
	DateUpdated               *time.Time
	Origin
}

// evParticipantUpdated is the post-event of a participant update.
const evParticipantUpdated = "onParticipantUpdated"

// UpdateParticipant changes a participant of a conversation (MB SID or
// identity), validating everything before changing anything. A new RoleSid
// must be a conversation role of the service (50109). A new proxy address must be free
// (50416) and an identity unique in the conversation (50433).
func (e *Engine) UpdateParticipant(conversationSID, participantSID string, p UpdateParticipantParams) (*Participant, error) {
	c, err := e.conv(conversationSID)
	if err != nil {
		return nil, err
	}
	part := participantRef(c, participantSID)
	if part == nil {
		return nil, twilio.NotFound("/Conversations/" + c.SID + "/Participants/" + participantSID)
	}
	channel := part.Binding != nil && part.Binding.Address != ""
	var attrs string
	if p.Attributes != nil {
		if attrs, err = normaliseAttributes("Attributes", *p.Attributes, participantAttrs); err != nil {
			return nil, err
		}
	}
	if p.RoleSID != nil && *p.RoleSID != "" && *p.RoleSID != part.RoleSID {
		if err := e.checkParticipantRoleRef(c.ChatServiceSID, *p.RoleSID); err != nil {
			return nil, err
		}
	}
	if p.LastReadMessageIndex != nil && *p.LastReadMessageIndex < 0 {
		return nil, twilio.InvalidParam("LastReadMessageIndex", "must not be negative")
	}
	if p.Identity != nil && *p.Identity != part.Identity {
		switch id := *p.Identity; {
		case channel:
			return nil, twilio.InvalidParam("Identity", "participant %s is a %s participant; only chat participants have an identity", part.SID, part.Binding.Type)
		case id == "":
			return nil, twilio.InvalidParam("Identity", "a chat participant's identity cannot be removed")
		case len(id) > maxParticipantIdentityLen:
			return nil, twilio.InvalidParam("Identity", "must be at most %d characters", maxParticipantIdentityLen)
		case participantByIdentity(c, id) != nil:
			x := participantByIdentity(c, id)
			return nil, twilio.Fail(twilio.KindConflict, CodeParticipantExists,
				"Participant with identity %q already exists in conversation %s (%s)", id, c.SID, x.SID)
		}
	}
	var newBinding *MessagingBinding
	if p.ProxyAddress != nil && channel && *p.ProxyAddress != part.Binding.ProxyAddress {
		if newBinding, err = e.checkBinding(part.Binding.Address, *p.ProxyAddress); err != nil {
			return nil, err
		}
	} else if p.ProxyAddress != nil && !channel && *p.ProxyAddress != "" {
		return nil, twilio.InvalidParam("MessagingBinding.ProxyAddress", "participant %s is a chat participant without a messaging binding", part.SID)
	}
	if p.ProjectedAddress != nil && channel && *p.ProjectedAddress != "" {
		return nil, twilio.InvalidParam("MessagingBinding.ProjectedAddress", "only chat participants of a group MMS have a projected address")
	}

	previousIdentity := ""
	if p.Identity != nil && !channel {
		if part.Identity != *p.Identity {
			previousIdentity = part.Identity
		}
		part.Identity = *p.Identity
	}
	if p.Attributes != nil {
		part.Attributes = attrs
	}
	if p.RoleSID != nil && *p.RoleSID != "" {
		part.RoleSID = *p.RoleSID
	}
	if newBinding != nil {
		e.unbind(c, part)
		newBinding.ProjectedAddress = part.Binding.ProjectedAddress
		part.Binding = newBinding
		e.bindings[bindingKey{newBinding.Address, newBinding.ProxyAddress}] = bindingRef{c.SID, part.SID}
	}
	if p.ProjectedAddress != nil && !channel {
		if *p.ProjectedAddress == "" {
			part.Binding = nil
		} else {
			part.Binding = &MessagingBinding{Type: "sms", ProjectedAddress: *p.ProjectedAddress}
		}
	}
	if p.LastReadMessageIndex != nil || p.ClearLastReadMessageIndex || p.LastReadTimestamp != nil {
		rs := e.readStateOf(part.SID)
		applyReadHorizon(&rs, p.LastReadMessageIndex, p.ClearLastReadMessageIndex, p.LastReadTimestamp)
		e.setReadState(part.SID, rs)
	}
	if p.DateCreated != nil {
		part.DateCreated = p.DateCreated.UTC()
	}
	part.DateUpdated = e.now()
	if p.DateUpdated != nil {
		part.DateUpdated = p.DateUpdated.UTC()
	}
	refs := map[string]string{"conversation_sid": c.SID, "participant_sid": part.SID}
	if part.Identity != "" {
		refs["identity"] = part.Identity
	}
	if b := part.Binding; b != nil && b.Address != "" {
		refs["address"], refs["proxy_address"] = b.Address, b.ProxyAddress
	}
	e.record("participant.updated", part.SID, fmt.Sprintf("participant %s of conversation %s updated", part.SID, c.SID), refs)
	e.participantChanged(c, part, ChangeParticipantUpdated, previousIdentity)
	params := participantParams(part)
	params.Set("DateUpdated", webhookTime(part.DateUpdated))
	if rs := e.readStateOf(part.SID); rs.LastReadMessageIndex != nil {
		params.Set("LastReadMessageIndex", fmt.Sprint(*rs.LastReadMessageIndex))
	}
	e.emit(p.Origin, c, evParticipantUpdated, params, nil)
	return part.clone(), nil
}
