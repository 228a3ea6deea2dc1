package flex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Product is the Flex API host and the emulator path prefix serving it.
var Product = twilio.Product{Prefix: "flex-api", Host: "flex-api.twilio.com"}

// maxPageSize bounds list pages.
const maxPageSize = 1000

// Routes is the Flex v1 Interactions route table. Creates answer 200, as
// Twilio's OpenAPI description of these endpoints says.
func Routes() []twilio.Route[*Engine] {
	const (
		interactions = "/v1/Interactions"
		interaction  = interactions + "/{Sid}"
		channels     = interactions + "/{InteractionSid}/Channels"
		channel      = channels + "/{Sid}"
		invites      = channels + "/{ChannelSid}/Invites"
		participants = channels + "/{ChannelSid}/Participants"
		participant  = participants + "/{Sid}"
	)
	routes := []twilio.Route[*Engine]{
		{Method: http.MethodPost, Path: interactions, Handle: createInteraction},
		{Method: http.MethodGet, Path: interactions, Handle: listInteractions},
		{Method: http.MethodGet, Path: interaction, Handle: fetchInteraction},
		{Method: http.MethodPost, Path: interaction, Handle: updateInteraction},
		{Method: http.MethodGet, Path: channels, Handle: listChannels},
		{Method: http.MethodGet, Path: channel, Handle: fetchChannel},
		{Method: http.MethodPost, Path: channel, Handle: updateChannel},
		{Method: http.MethodGet, Path: invites, Handle: listInvites},
		{Method: http.MethodPost, Path: invites, Handle: createInvite},
		{Method: http.MethodGet, Path: participants, Handle: listParticipants},
		{Method: http.MethodPost, Path: participants, Handle: createParticipant},
		{Method: http.MethodPost, Path: participant, Handle: updateParticipant},
	}
	// Each further resource keeps its routes beside its handlers.
	routes = append(routes, transferRoutes()...)
	routes = append(routes, configurationRoutes()...)
	return append(routes, webChatRoutes()...)
}

// --- views -----------------------------------------------------------------

type interactionView struct {
	SID                   string            `json:"sid"`
	Channel               map[string]string `json:"channel"`
	Routing               routingView       `json:"routing"`
	InteractionContextSID *string           `json:"interaction_context_sid"`
	WebhookTtid           string            `json:"webhook_ttid"`
	URL                   string            `json:"url"`
	Links                 map[string]string `json:"links"`
}

// routingView is Twilio's routing object: the task in snake_case with epoch
// dates, JSON-string attributes/addons and a camelCase assignmentCounter.
type routingView struct {
	Reservation any          `json:"reservation"`
	Properties  taskProperty `json:"properties"`
}

type taskProperty struct {
	SID                   string  `json:"sid"`
	AccountSID            string  `json:"account_sid"`
	WorkspaceSID          string  `json:"workspace_sid"`
	WorkflowSID           string  `json:"workflow_sid"`
	WorkflowName          string  `json:"workflow_name"`
	QueueSID              string  `json:"queue_sid"`
	QueueName             string  `json:"queue_name"`
	TaskChannelSID        string  `json:"task_channel_sid"`
	TaskChannelUniqueName string  `json:"task_channel_unique_name"`
	AssignmentStatus      string  `json:"assignment_status"`
	Priority              int     `json:"priority"`
	Timeout               int     `json:"timeout"`
	Age                   int     `json:"age"`
	AgeInQueue            int     `json:"age_in_queue"`
	AssignmentCounter     int     `json:"assignmentCounter"`
	Reason                string  `json:"reason"`
	RoutingTarget         *string `json:"routing_target"`
	Addons                string  `json:"addons"`
	DateCreated           int64   `json:"date_created"`
	DateUpdated           int64   `json:"date_updated"`
	TaskQueueEnteredDate  *int64  `json:"task_queue_entered_date"`
	Attributes            string  `json:"attributes"`
}

func renderRouting(t *TaskInfo) routingView {
	p := taskProperty{SID: t.SID, AccountSID: t.AccountSID, WorkspaceSID: t.WorkspaceSID, WorkflowSID: t.WorkflowSID,
		WorkflowName: t.WorkflowName, QueueSID: t.QueueSID, QueueName: t.QueueName, TaskChannelSID: t.TaskChannelSID,
		TaskChannelUniqueName: t.TaskChannelUniqueName, AssignmentStatus: t.AssignmentStatus, Priority: t.Priority,
		Timeout: t.Timeout, Age: t.Age, AssignmentCounter: t.AssignmentCounter, Reason: t.Reason,
		Addons: t.Addons, Attributes: t.Attributes, DateCreated: t.DateCreated.Unix(), DateUpdated: t.DateUpdated.Unix()}
	if p.Addons == "" {
		p.Addons = "{}"
	}
	if p.Attributes == "" {
		p.Attributes = "{}"
	}
	if t.RoutingTarget != "" {
		rt := t.RoutingTarget
		p.RoutingTarget = &rt
	}
	if !t.TaskQueueEnteredDate.IsZero() {
		ts := t.TaskQueueEnteredDate.Unix()
		p.TaskQueueEnteredDate = &ts
		if age := int(t.DateUpdated.Sub(t.TaskQueueEnteredDate).Seconds()); age > 0 {
			p.AgeInQueue = age
		}
	}
	return routingView{Properties: p}
}

func renderInteraction(r *twilio.Request, in Interaction) interactionView {
	self := r.URL("/v1/Interactions/" + in.SID)
	v := interactionView{SID: in.SID, Channel: map[string]string{"type": in.ChannelType, "sid": in.ChannelSID},
		Routing: renderRouting(in.Task), WebhookTtid: in.WebhookTtid, URL: self,
		Links: map[string]string{"channels": self + "/Channels"}}
	if in.InteractionContextSID != "" {
		s := in.InteractionContextSID
		v.InteractionContextSID = &s
	}
	return v
}

type channelView struct {
	SID            string            `json:"sid"`
	InteractionSID string            `json:"interaction_sid"`
	Type           string            `json:"type"`
	Status         string            `json:"status"`
	ErrorCode      *int              `json:"error_code"`
	ErrorMessage   *string           `json:"error_message"`
	URL            string            `json:"url"`
	Links          map[string]string `json:"links"`
}

func renderChannel(r *twilio.Request, c Channel) channelView {
	self := r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s", c.InteractionSID, c.SID))
	v := channelView{SID: c.SID, InteractionSID: c.InteractionSID, Type: c.Type, Status: c.Status,
		ErrorCode: c.ErrorCode, URL: self, Links: map[string]string{
			"participants": self + "/Participants", "invites": self + "/Invites", "transfers": self + "/Transfers"}}
	if c.ErrorMessage != "" {
		m := c.ErrorMessage
		v.ErrorMessage = &m
	}
	return v
}

type inviteView struct {
	SID            string      `json:"sid"`
	InteractionSID string      `json:"interaction_sid"`
	ChannelSID     string      `json:"channel_sid"`
	Routing        routingView `json:"routing"`
	URL            string      `json:"url"`
}

func renderInvite(r *twilio.Request, inv Invite) inviteView {
	return inviteView{SID: inv.SID, InteractionSID: inv.InteractionSID, ChannelSID: inv.ChannelSID,
		Routing: renderRouting(inv.Task),
		URL:     r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Invites/%s", inv.InteractionSID, inv.ChannelSID, inv.SID))}
}

type participantView struct {
	SID               string         `json:"sid"`
	Type              string         `json:"type"`
	InteractionSID    string         `json:"interaction_sid"`
	ChannelSID        string         `json:"channel_sid"`
	URL               string         `json:"url"`
	RoutingProperties map[string]any `json:"routing_properties"`
}

func renderParticipant(r *twilio.Request, p Participant) participantView {
	return participantView{SID: p.SID, Type: p.Type, InteractionSID: p.InteractionSID, ChannelSID: p.ChannelSID,
		RoutingProperties: p.RoutingProperties,
		URL:               r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Participants/%s", p.InteractionSID, p.ChannelSID, p.SID))}
}

// --- handlers --------------------------------------------------------------

func createInteraction(e *Engine, r *twilio.Request) (any, error) {
	chText, err := r.Form.Required("Channel")
	if err != nil {
		return nil, err
	}
	ch, err := ParseChannel(chText)
	if err != nil {
		return nil, err
	}
	rtText, _ := r.Form.String("Routing")
	rt, err := ParseRouting("Routing", rtText)
	if err != nil {
		return nil, err
	}
	ctxSID, _ := r.Form.String("InteractionContextSid")
	ttid, _ := r.Form.String("WebhookTtid")
	in, err := e.CreateInteraction(CreateInteractionParams{Channel: ch, Routing: rt,
		InteractionContextSID: ctxSID, WebhookTtid: ttid})
	if err != nil {
		return nil, err
	}
	return renderInteraction(r, *in), nil
}

func listInteractions(e *Engine, r *twilio.Request) (any, error) {
	return twilio.Paginate(r, r.URL("/v1/Interactions"), "interactions", e.Interactions(),
		func(in Interaction) any { return renderInteraction(r, in) }, maxPageSize)
}

func fetchInteraction(e *Engine, r *twilio.Request) (any, error) {
	in, err := e.Interaction(r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderInteraction(r, *in), nil
}

func updateInteraction(e *Engine, r *twilio.Request) (any, error) {
	ttid, _ := r.Form.String("WebhookTtid")
	in, err := e.UpdateInteraction(r.Path("Sid"), ttid)
	if err != nil {
		return nil, err
	}
	return renderInteraction(r, *in), nil
}

func listChannels(e *Engine, r *twilio.Request) (any, error) {
	isid := r.Path("InteractionSid")
	chs, err := e.Channels(isid)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL("/v1/Interactions/"+isid+"/Channels"), "channels", chs,
		func(c Channel) any { return renderChannel(r, c) }, maxPageSize)
}

func fetchChannel(e *Engine, r *twilio.Request) (any, error) {
	c, err := e.Channel(r.Path("InteractionSid"), r.Path("Sid"))
	if err != nil {
		return nil, err
	}
	return renderChannel(r, c), nil
}

func updateChannel(e *Engine, r *twilio.Request) (any, error) {
	status, err := r.Form.Required("Status")
	if err != nil {
		return nil, err
	}
	p := UpdateChannelParams{Status: status}
	if text, ok := r.Form.String("Routing"); ok && strings.TrimSpace(text) != "" {
		raw, err := unwrapJSONObject("Routing", text)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, twilio.InvalidParam("Routing", "status must be a string")
		}
		p.RoutingStatus = doc.Status
	}
	c, err := e.UpdateChannel(r.Path("InteractionSid"), r.Path("Sid"), p)
	if err != nil {
		return nil, err
	}
	return renderChannel(r, c), nil
}

func listInvites(e *Engine, r *twilio.Request) (any, error) {
	isid, csid := r.Path("InteractionSid"), r.Path("ChannelSid")
	invs, err := e.Invites(isid, csid)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Invites", isid, csid)), "invites",
		invs, func(inv Invite) any { return renderInvite(r, inv) }, maxPageSize)
}

func createInvite(e *Engine, r *twilio.Request) (any, error) {
	text, err := r.Form.Required("Routing")
	if err != nil {
		return nil, err
	}
	rt, err := ParseRouting("Routing", text)
	if err != nil {
		return nil, err
	}
	inv, err := e.CreateInvite(r.Path("InteractionSid"), r.Path("ChannelSid"), rt)
	if err != nil {
		return nil, err
	}
	return renderInvite(r, inv), nil
}

func listParticipants(e *Engine, r *twilio.Request) (any, error) {
	isid, csid := r.Path("InteractionSid"), r.Path("ChannelSid")
	ps, err := e.Participants(isid, csid)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Participants", isid, csid)),
		"participants", ps, func(p Participant) any { return renderParticipant(r, p) }, maxPageSize)
}

func createParticipant(e *Engine, r *twilio.Request) (any, error) {
	typ, err := r.Form.Required("Type")
	if err != nil {
		return nil, err
	}
	mediaText, err := r.Form.Required("MediaProperties")
	if err != nil {
		return nil, err
	}
	media, err := jsonObjectParam("MediaProperties", mediaText)
	if err != nil {
		return nil, err
	}
	var routing map[string]any
	if text, ok := r.Form.String("RoutingProperties"); ok && strings.TrimSpace(text) != "" {
		if routing, err = jsonObjectParam("RoutingProperties", text); err != nil {
			return nil, err
		}
	}
	p, err := e.CreateParticipant(r.Path("InteractionSid"), r.Path("ChannelSid"),
		CreateParticipantParams{Type: typ, MediaProperties: media, RoutingProperties: routing})
	if err != nil {
		return nil, err
	}
	return renderParticipant(r, p), nil
}

func updateParticipant(e *Engine, r *twilio.Request) (any, error) {
	status, err := r.Form.Required("Status")
	if err != nil {
		return nil, err
	}
	p, err := e.UpdateParticipant(r.Path("InteractionSid"), r.Path("ChannelSid"), r.Path("Sid"), status)
	if err != nil {
		return nil, err
	}
	return renderParticipant(r, p), nil
}

// jsonObjectParam decodes a JSON object parameter (or a JSON string holding one).
func jsonObjectParam(name, text string) (map[string]any, error) {
	raw, err := unwrapJSONObject(name, text)
	if err != nil {
		return nil, err
	}
	return twilio.ParseJSONObject(name, string(raw))
}
