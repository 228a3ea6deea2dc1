package conversations

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state: what New
// put in it (the default service) is replaced. It re-arms the state timers at
// their stored virtual deadlines and emits nothing: no timeline entries, no
// webhooks, no change feed. It is called under the account lock, with the
// clock at the snapshot's time; on error e is left as it was.
func (e *Engine) Restore(data json.RawMessage) error {
	var s snapshot
	if err := twilio.DecodeStrict(data, &s); err != nil {
		return fmt.Errorf("conversations: restore: %w", err)
	}
	st, err := e.rebuild(&s)
	if err != nil {
		return fmt.Errorf("conversations: restore: %w", err)
	}
	for _, c := range e.convOrder {
		e.stopTimers(c)
	}
	e.config, e.webhooks, e.serviceHooks = st.config, st.webhooks, st.serviceHooks
	e.services, e.serviceOrder, e.addresses = st.services, st.serviceOrder, st.addresses
	e.conversations, e.convOrder, e.bindings = st.conversations, st.convOrder, st.bindings
	e.dir, e.rev = st.dir, s.Rev
	e.studioRunning = map[string]int{}
	now := e.now()
	for _, t := range s.Timers {
		c := e.conversations[t.ConversationSID]
		at := c.Timers.DateClosed
		if t.State == StateInactive {
			at = c.Timers.DateInactive
		}
		// A timer already due fires on the clock's next advance (AfterFunc
		// with d <= 0), in the stored order.
		e.armTimer(c, t.State, at.Sub(now))
	}
	return nil
}

// restored is the state Restore builds before it swaps it into the engine.
type restored struct {
	config        Configuration
	webhooks      WebhookConfiguration
	serviceHooks  map[string]*WebhookConfiguration
	services      map[string]*Service
	serviceOrder  []*Service
	addresses     []*AddressConfiguration
	conversations map[string]*conversation
	convOrder     []*conversation
	bindings      map[bindingKey]bindingRef
	dir           *directory
}

// rebuild validates s and builds the engine state it describes: SIDs of the
// right kinds and unique, every reference to a service, conversation or
// participant resolvable, timers consistent with the conversations' states.
func (e *Engine) rebuild(s *snapshot) (*restored, error) {
	st := &restored{
		serviceHooks:  map[string]*WebhookConfiguration{},
		services:      map[string]*Service{},
		conversations: map[string]*conversation{},
		bindings:      map[bindingKey]bindingRef{},
		dir: &directory{users: map[string]*User{}, roles: map[string]*Role{}, defaultRoles: map[string]bool{},
			credentials: map[string]*Credential{}, receipts: map[string][]*Receipt{}, reads: map[string]*readState{},
			notifications: map[string]*NotificationConfiguration{}, reachability: map[string]bool{}},
	}
	if err := st.restoreServices(s); err != nil {
		return nil, err
	}
	if err := st.restoreConfiguration(s); err != nil {
		return nil, err
	}
	if err := st.restoreAddresses(s); err != nil {
		return nil, err
	}
	if err := st.restoreConversations(s); err != nil {
		return nil, err
	}
	if err := st.restoreBindings(s); err != nil {
		return nil, err
	}
	if err := st.restoreTimers(s); err != nil {
		return nil, err
	}
	if err := st.restoreDirectory(s); err != nil {
		return nil, err
	}
	if err := checkRevisions(s); err != nil {
		return nil, err
	}
	return st, nil
}

func checkSID(what string, i int, sid, prefix string) error {
	if !twilio.IsSID(sid, prefix) {
		return fmt.Errorf("%s[%d]: %q is not a %s… SID", what, i, sid, prefix)
	}
	return nil
}

func hooksOf(h snapHooks, serviceSID string) WebhookConfiguration {
	return WebhookConfiguration{ChatServiceSID: serviceSID, PreWebhookURL: h.PreWebhookURL, PostWebhookURL: h.PostWebhookURL,
		Method: h.Method, Filters: h.Filters, Target: h.Target}
}

func settingOf(n snapNotificationSetting) NotificationSetting {
	return NotificationSetting{Enabled: n.Enabled, Template: n.Template, Sound: n.Sound, BadgeCountEnabled: n.BadgeCountEnabled,
		WithMediaEnabled: n.WithMediaEnabled, WithMediaTemplate: n.WithMediaTemplate}
}

// restoreServices rebuilds the services with their per-service settings.
// Snapshot materialised every service's built-in roles, so they are marked
// as such and never minted again.
func (st *restored) restoreServices(s *snapshot) error {
	for i, ss := range s.Services {
		if err := checkSID("services", i, ss.SID, "IS"); err != nil {
			return err
		}
		if st.services[ss.SID] != nil {
			return fmt.Errorf("services[%d]: duplicate SID %s", i, ss.SID)
		}
		svc := &Service{SID: ss.SID, FriendlyName: ss.FriendlyName, DateCreated: ss.DateCreated, DateUpdated: ss.DateUpdated,
			DefaultConversationRoleSID: ss.DefaultConversationRoleSID, DefaultConversationCreatorRoleSID: ss.DefaultConversationCreatorRoleSID,
			DefaultChatServiceRoleSID: ss.DefaultChatServiceRoleSID}
		st.services[svc.SID] = svc
		st.serviceOrder = append(st.serviceOrder, svc)
		st.dir.defaultRoles[svc.SID] = true
		if ss.ReachabilityEnabled {
			st.dir.reachability[svc.SID] = true
		}
		if n := ss.Notifications; n != nil {
			st.dir.notifications[svc.SID] = &NotificationConfiguration{LogEnabled: n.LogEnabled, NewMessage: settingOf(n.NewMessage),
				AddedToConversation: settingOf(n.AddedToConversation), RemovedFromConversation: settingOf(n.RemovedFromConversation)}
		}
		if h := ss.Webhooks; h != nil {
			w := hooksOf(*h, svc.SID)
			st.serviceHooks[svc.SID] = &w
		}
	}
	return nil
}

func (st *restored) restoreConfiguration(s *snapshot) error {
	c := s.Configuration
	if st.services[c.DefaultChatServiceSID] == nil {
		return fmt.Errorf("configuration: default chat service %q is not among the services", c.DefaultChatServiceSID)
	}
	if !twilio.IsSID(c.DefaultMessagingServiceSID, "MG") {
		return fmt.Errorf("configuration: %q is not a Messaging Service SID", c.DefaultMessagingServiceSID)
	}
	st.config = Configuration{DefaultChatServiceSID: c.DefaultChatServiceSID, DefaultMessagingServiceSID: c.DefaultMessagingServiceSID,
		DefaultInactiveTimer: c.DefaultInactiveTimer, DefaultClosedTimer: c.DefaultClosedTimer}
	st.webhooks = hooksOf(s.Webhooks, "")
	return nil
}

func (st *restored) restoreAddresses(s *snapshot) error {
	seen := map[string]bool{}
	for i, sa := range s.Addresses {
		if err := checkSID("addresses", i, sa.SID, "IG"); err != nil {
			return err
		}
		if seen[sa.SID] || seen["addr:"+sa.Address] {
			return fmt.Errorf("addresses[%d]: duplicate SID %s or address %q", i, sa.SID, sa.Address)
		}
		seen[sa.SID], seen["addr:"+sa.Address] = true, true
		ac := sa.AutoCreation
		if ac.ConversationServiceSID != "" && st.services[ac.ConversationServiceSID] == nil {
			return fmt.Errorf("addresses[%d] (%s): auto-creation service %s is not among the services", i, sa.SID, ac.ConversationServiceSID)
		}
		st.addresses = append(st.addresses, &AddressConfiguration{SID: sa.SID, Type: sa.Type, Address: sa.Address, FriendlyName: sa.FriendlyName,
			AddressCountry: sa.AddressCountry, DateCreated: sa.DateCreated, DateUpdated: sa.DateUpdated,
			AutoCreation: AutoCreation{Enabled: ac.Enabled, Type: ac.Type, ConversationServiceSID: ac.ConversationServiceSID,
				WebhookURL: ac.WebhookURL, WebhookMethod: ac.WebhookMethod, WebhookFilters: ac.WebhookFilters,
				StudioFlowSID: ac.StudioFlowSID, StudioRetryCount: ac.StudioRetryCount}})
	}
	return nil
}

// restoreConversations rebuilds conversations with their participants (and
// read states), messages (and receipts) and scoped webhooks.
func (st *restored) restoreConversations(s *snapshot) error {
	participants, messages := map[string]bool{}, map[string]bool{}
	uniqueNames := map[[2]string]bool{}
	for i, sc := range s.Conversations {
		if err := checkSID("conversations", i, sc.SID, "CH"); err != nil {
			return err
		}
		if st.conversations[sc.SID] != nil {
			return fmt.Errorf("conversations[%d]: duplicate SID %s", i, sc.SID)
		}
		if st.services[sc.ChatServiceSID] == nil {
			return fmt.Errorf("conversations[%d] (%s): service %q is not among the services", i, sc.SID, sc.ChatServiceSID)
		}
		if err := checkState(sc.State); err != nil {
			return fmt.Errorf("conversations[%d] (%s): %w", i, sc.SID, err)
		}
		if sc.UniqueName != "" {
			k := [2]string{sc.ChatServiceSID, sc.UniqueName}
			if uniqueNames[k] {
				return fmt.Errorf("conversations[%d] (%s): unique name %q is taken in its service", i, sc.SID, sc.UniqueName)
			}
			uniqueNames[k] = true
		}
		t := sc.Timers
		if (t.DateInactive != nil && sc.State != StateActive) || (t.DateClosed != nil && sc.State == StateClosed) {
			return fmt.Errorf("conversations[%d] (%s): a timer is pending on a %s conversation", i, sc.SID, sc.State)
		}
		c := &conversation{Conversation: Conversation{SID: sc.SID, ChatServiceSID: sc.ChatServiceSID, MessagingServiceSID: sc.MessagingServiceSID,
			FriendlyName: sc.FriendlyName, UniqueName: sc.UniqueName, Attributes: sc.Attributes, State: sc.State,
			Timers:      Timers{Inactive: t.Inactive, Closed: t.Closed},
			DateCreated: sc.DateCreated, DateUpdated: sc.DateUpdated, Rev: sc.Rev}, nextIndex: sc.NextIndex}
		if t.DateInactive != nil {
			c.Timers.DateInactive = *t.DateInactive
		}
		if t.DateClosed != nil {
			c.Timers.DateClosed = *t.DateClosed
		}
		for j, sp := range sc.Participants {
			p, err := st.restoreParticipant(c, sp)
			if err != nil || participants[sp.SID] {
				if err == nil {
					err = errors.New("duplicate SID " + sp.SID)
				}
				return fmt.Errorf("conversations[%d] (%s): participants[%d]: %w", i, sc.SID, j, err)
			}
			participants[p.SID] = true
			c.participants = append(c.participants, p)
		}
		for j, sm := range sc.Messages {
			m, err := st.restoreMessage(c, sm)
			if err != nil || messages[sm.SID] {
				if err == nil {
					err = errors.New("duplicate SID " + sm.SID)
				}
				return fmt.Errorf("conversations[%d] (%s): messages[%d]: %w", i, sc.SID, j, err)
			}
			messages[m.SID] = true
			c.messages = append(c.messages, m)
		}
		for j, sw := range sc.Webhooks {
			if !twilio.IsSID(sw.SID, "WH") || findWebhook(c, sw.SID) != nil {
				return fmt.Errorf("conversations[%d] (%s): webhooks[%d]: %q is not a new Webhook SID", i, sc.SID, j, sw.SID)
			}
			c.webhooks = append(c.webhooks, &Webhook{SID: sw.SID, ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Target: sw.Target,
				URL: sw.URL, Method: sw.Method, Filters: sw.Filters, Triggers: sw.Triggers, FlowSID: sw.FlowSID, ReplayAfter: sw.ReplayAfter,
				DateCreated: sw.DateCreated, DateUpdated: sw.DateUpdated})
		}
		st.conversations[c.SID] = c
		st.convOrder = append(st.convOrder, c)
	}
	return nil
}

func (st *restored) restoreParticipant(c *conversation, sp snapParticipant) (*Participant, error) {
	if !twilio.IsSID(sp.SID, "MB") {
		return nil, fmt.Errorf("%q is not a Participant SID", sp.SID)
	}
	p := &Participant{SID: sp.SID, ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Identity: sp.Identity, Attributes: sp.Attributes,
		RoleSID: sp.RoleSID, DateCreated: sp.DateCreated, DateUpdated: sp.DateUpdated, Rev: sp.Rev}
	if b := sp.Binding; b != nil {
		p.Binding = &MessagingBinding{Type: b.Type, Address: b.Address, ProxyAddress: b.ProxyAddress, ProjectedAddress: b.ProjectedAddress}
	}
	if r := sp.Read; r != nil {
		st.dir.reads[p.SID] = &readState{LastReadMessageIndex: r.LastReadMessageIndex, LastReadTimestamp: r.LastReadTimestamp, NotificationLevel: r.NotificationLevel}
	}
	return p, nil
}

func (st *restored) restoreMessage(c *conversation, sm snapMessage) (*Message, error) {
	if !twilio.IsSID(sm.SID, "IM") {
		return nil, fmt.Errorf("%q is not a Message SID", sm.SID)
	}
	if sm.Index < 0 || sm.Index >= c.nextIndex || (len(c.messages) > 0 && sm.Index <= c.messages[len(c.messages)-1].Index) {
		return nil, fmt.Errorf("message %s: index %d out of order (next index %d)", sm.SID, sm.Index, c.nextIndex)
	}
	m := &Message{SID: sm.SID, ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, Index: sm.Index, Author: sm.Author, Body: sm.Body,
		Attributes: sm.Attributes, ParticipantSID: sm.ParticipantSID, MediaSIDs: sm.MediaSIDs, ContentSID: sm.ContentSID,
		DateCreated: sm.DateCreated, DateUpdated: sm.DateUpdated, FromStudio: sm.FromStudio, Rev: sm.Rev}
	if d := sm.Delivery; d != nil {
		m.Delivery = &Delivery{Total: d.Total, Sent: d.Sent, Delivered: d.Delivered, Read: d.Read, Failed: d.Failed, Undelivered: d.Undelivered}
	}
	var receipts []*Receipt
	for k, sr := range sm.Receipts {
		if !twilio.IsSID(sr.SID, "DY") {
			return nil, fmt.Errorf("message %s: receipts[%d]: %q is not a Delivery Receipt SID", sm.SID, k, sr.SID)
		}
		receipts = append(receipts, &Receipt{SID: sr.SID, ConversationSID: c.SID, ChatServiceSID: c.ChatServiceSID, MessageSID: m.SID,
			ParticipantSID: sr.ParticipantSID, ChannelMessageSID: sr.ChannelMessageSID, Status: sr.Status, ErrorCode: sr.ErrorCode,
			DateCreated: sr.DateCreated, DateUpdated: sr.DateUpdated})
	}
	if len(receipts) > 0 {
		st.dir.receipts[m.SID] = receipts
	}
	return m, nil
}

// restoreBindings rebuilds the inbound routing table; each entry must name a
// participant of its conversation holding that address pair.
func (st *restored) restoreBindings(s *snapshot) error {
	for i, r := range s.Bindings {
		c := st.conversations[r.ConversationSID]
		if c == nil {
			return fmt.Errorf("bindings[%d]: conversation %q is not among the conversations", i, r.ConversationSID)
		}
		p := findParticipant(c, r.ParticipantSID)
		if p == nil || p.Binding == nil || p.Binding.Address != r.Address || p.Binding.ProxyAddress != r.ProxyAddress {
			return fmt.Errorf("bindings[%d]: no participant %q holding %s / %s in conversation %s", i, r.ParticipantSID, r.Address, r.ProxyAddress, c.SID)
		}
		k := bindingKey{r.Address, r.ProxyAddress}
		if _, dup := st.bindings[k]; dup {
			return fmt.Errorf("bindings[%d]: duplicate address pair %s / %s", i, r.Address, r.ProxyAddress)
		}
		st.bindings[k] = bindingRef{c.SID, p.SID}
	}
	return nil
}

// restoreTimers checks that the timer list names exactly the pending timers
// the conversations' timer dates describe, in deadline order.
func (st *restored) restoreTimers(s *snapshot) error {
	seen := map[snapTimer]bool{}
	var prev time.Time
	for i, t := range s.Timers {
		c := st.conversations[t.ConversationSID]
		if c == nil {
			return fmt.Errorf("timers[%d]: conversation %q is not among the conversations", i, t.ConversationSID)
		}
		var at time.Time
		switch t.State {
		case StateInactive:
			at = c.Timers.DateInactive
		case StateClosed:
			at = c.Timers.DateClosed
		default:
			return fmt.Errorf("timers[%d]: %q is not a timer state (inactive, closed)", i, t.State)
		}
		if at.IsZero() || seen[t] {
			return fmt.Errorf("timers[%d]: conversation %s has no pending %s timer to arm (or it is listed twice)", i, c.SID, t.State)
		}
		if at.Before(prev) {
			return fmt.Errorf("timers[%d]: out of deadline order", i)
		}
		seen[t], prev = true, at
	}
	for _, c := range st.convOrder {
		if (!c.Timers.DateInactive.IsZero() && !seen[snapTimer{c.SID, StateInactive}]) ||
			(!c.Timers.DateClosed.IsZero() && !seen[snapTimer{c.SID, StateClosed}]) {
			return fmt.Errorf("conversation %s: a timer date is set but the timer is not listed", c.SID)
		}
	}
	return nil
}

// restoreDirectory rebuilds users, roles and credentials.
func (st *restored) restoreDirectory(s *snapshot) error {
	d := st.dir
	identities := map[[2]string]bool{}
	for i, su := range s.Users {
		if err := checkSID("users", i, su.SID, "US"); err != nil {
			return err
		}
		k := [2]string{su.ChatServiceSID, su.Identity}
		switch {
		case d.users[su.SID] != nil:
			return fmt.Errorf("users[%d]: duplicate SID %s", i, su.SID)
		case st.services[su.ChatServiceSID] == nil:
			return fmt.Errorf("users[%d] (%s): service %q is not among the services", i, su.SID, su.ChatServiceSID)
		case su.Identity == "" || identities[k]:
			return fmt.Errorf("users[%d] (%s): identity %q is empty or taken in its service", i, su.SID, su.Identity)
		}
		identities[k] = true
		u := &User{SID: su.SID, ChatServiceSID: su.ChatServiceSID, RoleSID: su.RoleSID, Identity: su.Identity, FriendlyName: su.FriendlyName,
			Attributes: su.Attributes, DateCreated: su.DateCreated, DateUpdated: su.DateUpdated, Rev: su.Rev}
		d.users[u.SID] = u
		d.userOrder = append(d.userOrder, u)
	}
	for i, sr := range s.Roles {
		if err := checkSID("roles", i, sr.SID, "RL"); err != nil {
			return err
		}
		switch {
		case d.roles[sr.SID] != nil:
			return fmt.Errorf("roles[%d]: duplicate SID %s", i, sr.SID)
		case st.services[sr.ChatServiceSID] == nil:
			return fmt.Errorf("roles[%d] (%s): service %q is not among the services", i, sr.SID, sr.ChatServiceSID)
		case sr.Type != RoleTypeConversation && sr.Type != RoleTypeService:
			return fmt.Errorf("roles[%d] (%s): %q is not a role type", i, sr.SID, sr.Type)
		}
		r := &Role{SID: sr.SID, ChatServiceSID: sr.ChatServiceSID, FriendlyName: sr.FriendlyName, Type: sr.Type, Permissions: sr.Permissions,
			DateCreated: sr.DateCreated, DateUpdated: sr.DateUpdated}
		d.roles[r.SID] = r
		d.roleOrder = append(d.roleOrder, r)
	}
	for i, sc := range s.Credentials {
		if err := checkSID("credentials", i, sc.SID, "CR"); err != nil {
			return err
		}
		if d.credentials[sc.SID] != nil {
			return fmt.Errorf("credentials[%d]: duplicate SID %s", i, sc.SID)
		}
		c := &Credential{SID: sc.SID, FriendlyName: sc.FriendlyName, Type: sc.Type, Sandbox: sc.Sandbox, DateCreated: sc.DateCreated,
			DateUpdated: sc.DateUpdated, hasCertificate: sc.HasCertificate, hasPrivateKey: sc.HasPrivateKey, hasAPIKey: sc.HasAPIKey, hasSecret: sc.HasSecret}
		if err := checkCredentialType(c.Type); err != nil {
			return fmt.Errorf("credentials[%d] (%s): %w", i, c.SID, err)
		}
		d.credentials[c.SID] = c
		d.credentialOrder = append(d.credentialOrder, c)
	}
	return nil
}

// checkRevisions refuses a revision counter below a stored revision, which
// would let the change feed stamp an old revision again.
func checkRevisions(s *snapshot) error {
	max := uint64(0)
	for _, c := range s.Conversations {
		max = maxRev(max, c.Rev)
		for _, p := range c.Participants {
			max = maxRev(max, p.Rev)
		}
		for _, m := range c.Messages {
			max = maxRev(max, m.Rev)
		}
	}
	for _, u := range s.Users {
		max = maxRev(max, u.Rev)
	}
	if s.Rev < max {
		return fmt.Errorf("rev %d is below a stored revision (%d)", s.Rev, max)
	}
	return nil
}

func maxRev(a, b uint64) uint64 {
	if b > a {
		return b
	}
	return a
}
