package conversations

import (
	"strconv"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// resolveScope picks the service a conversation request addresses.
func resolveScope(e *Engine, r *twilio.Request) (scope, error) {
	svc := r.Path("ChatServiceSid")
	if svc == "" {
		return scope{prefix: "/v1"}, nil
	}
	if _, err := e.Service(svc); err != nil {
		return scope{}, err
	}
	return scope{service: svc, prefix: "/v1/Services/" + svc}, nil
}

// pathConversation resolves the scope and the conversation named by the
// path parameter (SID or unique_name).
func pathConversation(e *Engine, r *twilio.Request, param string) (scope, *Conversation, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return s, nil, err
	}
	c, err := e.ServiceConversation(s.service, r.Path(param))
	return s, c, err
}

// --- Conversations ---

func listConversations(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	p := ListConversationsParams{ChatServiceSID: s.service}
	p.State, _ = r.Form.String("State")
	start, err := optTime(r, "StartDate")
	if err != nil {
		return nil, err
	}
	end, err := optTime(r, "EndDate")
	if err != nil {
		return nil, err
	}
	p.StartDate, p.EndDate = timeOrZero(start), timeOrZero(end)
	if end != nil && len(r.Form.Get("EndDate")) == len("2006-01-02") {
		p.EndDate = end.AddDate(0, 0, 1).Add(-1) // a bare date includes that whole day
	}
	list, err := e.Conversations(p)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Conversations"), "conversations", list,
		func(c *Conversation) any { return e.conversationView(r, s, c) }, maxPageSize)
}

func createConversation(e *Engine, r *twilio.Request) (any, error) {
	s, err := resolveScope(e, r)
	if err != nil {
		return nil, err
	}
	p, err := decodeConversation(r, s)
	if err != nil {
		return nil, err
	}
	c, err := e.CreateConversation(p)
	if err != nil {
		return nil, err
	}
	return e.conversationView(r, s, c), nil
}

// decodeConversation decodes a conversation create request (also the
// conversation part of ConversationWithParticipants).
func decodeConversation(r *twilio.Request, s scope) (CreateConversationParams, error) {
	p := CreateConversationParams{ChatServiceSID: s.service, Origin: origin(r)}
	p.FriendlyName, _ = r.Form.String("FriendlyName")
	p.UniqueName, _ = r.Form.String("UniqueName")
	p.Attributes, _ = r.Form.String("Attributes")
	p.MessagingServiceSID, _ = r.Form.String("MessagingServiceSid")
	p.State, _ = r.Form.String("State")
	var err error
	if p.DateCreated, p.DateUpdated, err = createDates(r); err != nil {
		return p, err
	}
	p.Timers, err = timerParams(r)
	return p, err
}

func fetchConversation(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "Sid")
	if err != nil {
		return nil, err
	}
	return e.conversationView(r, s, c), nil
}

func updateConversation(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "Sid")
	if err != nil {
		return nil, err
	}
	p := UpdateConversationParams{
		FriendlyName:        r.Form.OptString("FriendlyName"),
		UniqueName:          r.Form.OptString("UniqueName"),
		Attributes:          r.Form.OptString("Attributes"),
		MessagingServiceSID: r.Form.OptString("MessagingServiceSid"),
		State:               r.Form.OptString("State"),
		Origin:              origin(r),
	}
	if p.DateCreated, err = optTime(r, "DateCreated"); err != nil {
		return nil, err
	}
	if p.DateUpdated, err = optTime(r, "DateUpdated"); err != nil {
		return nil, err
	}
	if p.Timers, err = timerParams(r); err != nil {
		return nil, err
	}
	c, err = e.UpdateConversation(c.SID, p)
	if err != nil {
		return nil, err
	}
	return e.conversationView(r, s, c), nil
}

func deleteConversation(e *Engine, r *twilio.Request) (any, error) {
	_, c, err := pathConversation(e, r, "Sid")
	if err != nil {
		return nil, err
	}
	return nil, e.DeleteConversation(c.SID, origin(r))
}

// --- Participants ---

func listParticipants(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	list, err := e.Participants(c.SID)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Conversations/"+c.SID+"/Participants"), "participants", list,
		func(p *Participant) any { return e.participantView(r, s, p) }, maxPageSize)
}

func createParticipant(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	p := CreateParticipantParams{Origin: origin(r)}
	p.Identity, _ = r.Form.String("Identity")
	p.Address, _ = r.Form.String("MessagingBinding.Address")
	p.ProxyAddress, _ = r.Form.String("MessagingBinding.ProxyAddress")
	p.ProjectedAddress, _ = r.Form.String("MessagingBinding.ProjectedAddress")
	p.Attributes, _ = r.Form.String("Attributes")
	p.RoleSID, _ = r.Form.String("RoleSid")
	if p.DateCreated, p.DateUpdated, err = createDates(r); err != nil {
		return nil, err
	}
	part, err := e.AddParticipant(c.SID, p)
	if err != nil {
		return nil, err
	}
	return e.participantView(r, s, part), nil
}

func fetchParticipant(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	p, err := e.Participant(c.SID, r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.participantView(r, s, p), nil
}

func deleteParticipant(e *Engine, r *twilio.Request) (any, error) {
	_, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	return nil, e.RemoveParticipant(c.SID, r.Path("Sid"), origin(r))
}

// --- Messages ---

func listMessages(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	order, _ := r.Form.String("Order")
	if order != "" && order != "asc" && order != "desc" {
		return nil, twilio.InvalidParam("Order", "%q is not asc or desc", order)
	}
	list, err := e.Messages(c.SID, order == "desc")
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Conversations/"+c.SID+"/Messages"), "messages", list,
		func(m *Message) any { return e.messageView(r, s, m) }, maxPageSize)
}

func createMessage(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	p := CreateMessageParams{Origin: origin(r), MediaSIDs: optStrings(r, "MediaSid")}
	p.Author, _ = r.Form.String("Author")
	p.Body, _ = r.Form.String("Body")
	p.Attributes, _ = r.Form.String("Attributes")
	p.ContentSID, _ = r.Form.String("ContentSid")
	if p.DateCreated, p.DateUpdated, err = createDates(r); err != nil {
		return nil, err
	}
	m, err := e.AddMessage(c.SID, p)
	if err != nil {
		return nil, err
	}
	return e.messageView(r, s, m), nil
}

func fetchMessage(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	m, err := e.Message(c.SID, r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.messageView(r, s, m), nil
}

func updateMessage(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	p := UpdateMessageParams{Author: r.Form.OptString("Author"), Body: r.Form.OptString("Body"),
		Attributes: r.Form.OptString("Attributes"), Origin: origin(r)}
	if p.DateCreated, err = optTime(r, "DateCreated"); err != nil {
		return nil, err
	}
	if p.DateUpdated, err = optTime(r, "DateUpdated"); err != nil {
		return nil, err
	}
	m, err := e.UpdateMessage(c.SID, r.Path("Sid"), p)
	if err != nil {
		return nil, err
	}
	return e.messageView(r, s, m), nil
}

func deleteMessage(e *Engine, r *twilio.Request) (any, error) {
	_, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	return nil, e.DeleteMessage(c.SID, r.Path("Sid"), origin(r))
}

// --- Conversation-scoped webhooks ---

func listWebhooks(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	list, err := e.Webhooks(c.SID)
	if err != nil {
		return nil, err
	}
	if !r.Form.Has("PageSize") {
		// Twilio's default page size here is the maximum, 5; Paginate's default is 50.
		r.Form.Set("PageSize", strconv.Itoa(maxWebhooksPageSize))
	}
	return twilio.Paginate(r, r.URL(s.prefix+"/Conversations/"+c.SID+"/Webhooks"), "webhooks", list,
		func(w *Webhook) any { return e.webhookView(r, s, w) }, maxWebhooksPageSize)
}

func createWebhook(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	target, err := r.Form.Required("Target")
	if err != nil {
		return nil, err
	}
	p := CreateWebhookParams{Target: target, Filters: optStrings(r, "Configuration.Filters"),
		Triggers: optStrings(r, "Configuration.Triggers")}
	p.URL, _ = r.Form.String("Configuration.Url")
	p.Method, _ = r.Form.String("Configuration.Method")
	p.FlowSID, _ = r.Form.String("Configuration.FlowSid")
	if p.ReplayAfter, err = r.Form.OptInt("Configuration.ReplayAfter", 0, 1<<31-1); err != nil {
		return nil, err
	}
	w, err := e.CreateWebhook(c.SID, p)
	if err != nil {
		return nil, err
	}
	return e.webhookView(r, s, w), nil
}

func fetchWebhook(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	w, err := e.Webhook(c.SID, r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return e.webhookView(r, s, w), nil
}

func updateWebhook(e *Engine, r *twilio.Request) (any, error) {
	s, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	w, err := e.UpdateWebhook(c.SID, r.Path("Sid"), UpdateWebhookParams{
		URL: r.Form.OptString("Configuration.Url"), Method: r.Form.OptString("Configuration.Method"),
		Filters: optStrings(r, "Configuration.Filters"), Triggers: optStrings(r, "Configuration.Triggers"),
		FlowSID: r.Form.OptString("Configuration.FlowSid")})
	if err != nil {
		return nil, err
	}
	return e.webhookView(r, s, w), nil
}

func deleteWebhook(e *Engine, r *twilio.Request) (any, error) {
	_, c, err := pathConversation(e, r, "ConversationSid")
	if err != nil {
		return nil, err
	}
	return nil, e.DeleteWebhook(c.SID, r.Path("Sid"))
}
