package emulator

import (
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// What the Flex adapters of wiring.go offer besides flex.Conversations and
// flex.TaskRouter: the account resources the Flex Configuration names
// (flex.ConfigurationSource) and opening conversations for webchat and
// Interactions created with participants[] (flex.ConversationOpener).

// Flex's own names for what a new Flex account has (the default fixture
// creates them): preferred when the account has several.
const (
	flexWorkspaceName       = "Flex Task Assignment"
	flexWorkflowName        = "Assign to Anyone"
	flexQueueName           = "Everyone"
	flexOfflineActivityName = "Offline"
)

// ConfigurationDefaults implements flex.ConfigurationSource: the Flex
// workspace (by name, else the first), its default workflow and queue (by
// Flex's names, else the first), its queues and its Offline activity.
func (a flexTaskRouter) ConfigurationDefaults(d *flex.AccountDefaults) {
	spaces := a.t.Workspaces("")
	if len(spaces) == 0 {
		return
	}
	ws := spaces[0]
	for _, w := range spaces {
		if w.FriendlyName == flexWorkspaceName {
			ws = w
			break
		}
	}
	d.WorkspaceSID, d.Provisioned = ws.SID, ws.DateCreated
	if wfs, err := a.t.Workflows(ws.SID, ""); err == nil && len(wfs) > 0 {
		d.WorkflowSID = wfs[0].SID
		for _, wf := range wfs {
			if wf.FriendlyName == flexWorkflowName {
				d.WorkflowSID = wf.SID
				break
			}
		}
	}
	if qs, err := a.t.TaskQueues(ws.SID, taskrouter.TaskQueueFilter{}); err == nil && len(qs) > 0 {
		d.TaskQueueSID = qs[0].SID
		for _, q := range qs {
			d.TaskQueueSIDs = append(d.TaskQueueSIDs, q.SID)
			if q.FriendlyName == flexQueueName {
				d.TaskQueueSID = q.SID
			}
		}
	}
	offline := false
	if acts, err := a.t.Activities(ws.SID, flexOfflineActivityName, nil); err == nil && len(acts) > 0 {
		d.OfflineActivitySID = acts[0].SID
	} else if acts, err := a.t.Activities(ws.SID, "", &offline); err == nil && len(acts) > 0 {
		d.OfflineActivitySID = acts[0].SID
	}
}

// ConfigurationDefaults implements flex.ConfigurationSource: the default
// Conversations service (Flex's chat service) and Messaging Service.
func (a flexConversations) ConfigurationDefaults(d *flex.AccountDefaults) {
	cfg := a.c.Configuration()
	d.ChatServiceSID, d.MessagingServiceSID = cfg.DefaultChatServiceSID, cfg.DefaultMessagingServiceSID
}

// Address implements flex.ConversationOpener.
func (a flexConversations) Address(sid string) (flex.AddressInfo, error) {
	ac, err := a.c.AddressConfiguration(sid)
	if err != nil {
		return flex.AddressInfo{}, err
	}
	info := flex.AddressInfo{SID: ac.SID, Type: ac.Type, Address: ac.Address, FriendlyName: ac.FriendlyName,
		ConversationServiceSID: ac.AutoCreation.ConversationServiceSID}
	if ac.AutoCreation.Enabled {
		switch ac.AutoCreation.Type {
		case "studio":
			info.Target = "studio flow " + ac.AutoCreation.StudioFlowSID
		case "webhook":
			info.Target = "webhook " + ac.AutoCreation.WebhookURL
		}
	}
	return info, nil
}

// OpenConversation implements flex.ConversationOpener: the conversation,
// then the address's auto-creation target as a scoped webhook (as an
// inbound message to the address would get), then the participants, all
// with webhooks firing (Flex's orchestration, not a plain REST call). A
// failure deletes what was made.
func (a flexConversations) OpenConversation(p flex.OpenConversationParams) (flex.OpenedConversation, error) {
	var ac *conversations.AddressConfiguration
	if p.AddressSID != "" {
		var err error
		if ac, err = a.c.AddressConfiguration(p.AddressSID); err != nil {
			return flex.OpenedConversation{}, err
		}
	}
	conv, err := a.c.CreateConversation(conversations.CreateConversationParams{ChatServiceSID: p.ChatServiceSID,
		FriendlyName: p.FriendlyName, Attributes: p.Attributes, Origin: orchestration})
	if err != nil {
		return flex.OpenedConversation{}, err
	}
	fail := func(err error) (flex.OpenedConversation, error) {
		a.DiscardConversation(conv.SID)
		return flex.OpenedConversation{}, err
	}
	if ac != nil && ac.AutoCreation.Enabled {
		var hook *conversations.CreateWebhookParams
		switch ac.AutoCreation.Type {
		case "studio":
			hook = &conversations.CreateWebhookParams{Target: "studio", FlowSID: ac.AutoCreation.StudioFlowSID}
		case "webhook":
			hook = &conversations.CreateWebhookParams{Target: "webhook", URL: ac.AutoCreation.WebhookURL,
				Method: ac.AutoCreation.WebhookMethod, Filters: ac.AutoCreation.WebhookFilters}
		}
		if hook != nil {
			if _, err := a.c.CreateWebhook(conv.SID, *hook); err != nil {
				return fail(err)
			}
		}
	}
	out := flex.OpenedConversation{ParticipantSIDs: make([]string, 0, len(p.Participants))}
	for _, pp := range p.Participants {
		part, err := a.c.AddParticipant(conv.SID, conversations.CreateParticipantParams{Identity: pp.Identity,
			Attributes: pp.Attributes, Address: pp.Address, ProxyAddress: pp.ProxyAddress, Origin: orchestration})
		if err != nil {
			return fail(err)
		}
		out.ParticipantSIDs = append(out.ParticipantSIDs, part.SID)
	}
	if out.ConversationInfo, err = a.Conversation(conv.SID); err != nil {
		return fail(err)
	}
	return out, nil
}

// DiscardConversation implements flex.ConversationOpener (no webhooks: the
// conversation never reached the caller).
func (a flexConversations) DiscardConversation(sid string) {
	_ = a.c.DeleteConversation(sid, conversations.Origin{})
}

var (
	_ flex.ConversationOpener  = flexConversations{}
	_ flex.ConfigurationSource = flexConversations{}
	_ flex.ConfigurationSource = flexTaskRouter{}
)
