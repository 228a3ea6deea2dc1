package flex

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	tgclient "github.com/twilio/twilio-go/client"
	flexv2 "github.com/twilio/twilio-go/rest/flex/v2"

	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// openerConversations adds flex.ConversationOpener to the fake: one chat
// address and one SMS address, and conversations it opens.
type openerConversations struct {
	*fakeConversations
	opened    []OpenConversationParams
	discarded []string
	failOpen  error
}

const (
	chatAddress = "IG00000000000000000000000000000001"
	smsAddress  = "IG00000000000000000000000000000002"
)

func (o *openerConversations) Address(sid string) (AddressInfo, error) {
	switch sid {
	case chatAddress:
		return AddressInfo{SID: sid, Type: "chat", Address: "web", Target: "studio flow FW00000000000000000000000000000001"}, nil
	case smsAddress:
		return AddressInfo{SID: sid, Type: "sms", Address: "+15550001111"}, nil
	}
	return AddressInfo{}, twilio.NotFound("/Configuration/Addresses/" + sid)
}

func (o *openerConversations) OpenConversation(p OpenConversationParams) (OpenedConversation, error) {
	if o.failOpen != nil {
		return OpenedConversation{}, o.failOpen
	}
	o.opened = append(o.opened, p)
	sid := fmt.Sprintf("CH9%031d", len(o.opened))
	info := ConversationInfo{SID: sid, ChatServiceSID: "IS00000000000000000000000000000001", State: "active"}
	_ = json.Unmarshal([]byte(p.Attributes), &info.Attributes)
	out := OpenedConversation{ConversationInfo: info}
	for i, pp := range p.Participants {
		if pp.Address != "" {
			info.ChannelType, info.CustomerAddress, info.ProxyAddress = "sms", pp.Address, pp.ProxyAddress
		}
		out.ParticipantSIDs = append(out.ParticipantSIDs, fmt.Sprintf("MB9%031d", i))
	}
	out.ConversationInfo = info
	o.convs[sid] = info
	return out, nil
}

func (o *openerConversations) DiscardConversation(sid string) {
	o.discarded = append(o.discarded, sid)
	delete(o.convs, sid)
}

func newOpenerFixture(t *testing.T) (*fixture, *openerConversations) {
	t.Helper()
	f := newFixture(t)
	op := &openerConversations{fakeConversations: f.conv}
	f.eng = New(f.env, op, f.tr)
	return f, op
}

func TestCreateWebChat(t *testing.T) {
	f, op := newOpenerFixture(t)
	wc, err := f.eng.CreateWebChat(WebChatParams{AddressSID: chatAddress, ChatFriendlyName: "Webchat widget",
		CustomerFriendlyName: "Ana", PreEngagementData: `{"friendlyName":"Ana","email":"ana@example.com"}`})
	if err != nil {
		t.Fatal(err)
	}
	if !twilio.IsSID(wc.ConversationSID, "CH") || len(wc.Identity) != 36 || wc.ParticipantSID == "" {
		t.Errorf("webchat = %+v", wc)
	}
	p := op.opened[0]
	if p.AddressSID != chatAddress || p.FriendlyName != "Webchat widget" || len(p.Participants) != 1 ||
		p.Participants[0].Identity != wc.Identity || p.Participants[0].Attributes != `{"friendlyName":"Ana"}` {
		t.Errorf("opened %+v", p)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(p.Attributes), &attrs); err != nil {
		t.Fatal(err)
	}
	ped, _ := attrs["pre_engagement_data"].(map[string]any)
	if ped["friendlyName"] != "Ana" || ped["email"] != "ana@example.com" {
		t.Errorf("attributes = %s", p.Attributes)
	}
	// The conversation's first message then goes to Flex like any webchat:
	// channel type web, no customer address.
	task, err := f.eng.SendToFlex(SendToFlexParams{ConversationSID: wc.ConversationSID, Workflow: workflow,
		TaskChannel: "chat", Attributes: `{"from":"Ana"}`})
	if err != nil || task == "" {
		t.Fatalf("send to flex = %q, %v", task, err)
	}
	var ta map[string]any
	_ = json.Unmarshal([]byte(f.tr.tasks[0].Attributes), &ta)
	if ta["channelType"] != "web" || ta["from"] != "Ana" || ta["conversationSid"] != wc.ConversationSID {
		t.Errorf("task attributes = %s", f.tr.tasks[0].Attributes)
	}
}

func TestCreateWebChatIdentityAndPlainPreEngagement(t *testing.T) {
	f, op := newOpenerFixture(t)
	wc, err := f.eng.CreateWebChat(WebChatParams{AddressSID: chatAddress, Identity: "guest-1", PreEngagementData: "not json"})
	if err != nil {
		t.Fatal(err)
	}
	if wc.Identity != "guest-1" || op.opened[0].Attributes != `{"pre_engagement_data":"not json"}` ||
		op.opened[0].Participants[0].Attributes != "{}" {
		t.Errorf("webchat %+v opened %+v", wc, op.opened[0])
	}
	wc2, _ := f.eng.CreateWebChat(WebChatParams{AddressSID: chatAddress})
	if wc2.Identity == wc.Identity || op.opened[1].Attributes != "{}" {
		t.Errorf("second webchat %+v opened %+v", wc2, op.opened[1])
	}
}

func TestCreateWebChatErrors(t *testing.T) {
	tests := []struct {
		name   string
		p      WebChatParams
		status int
		msg    string
	}{
		{"missing address", WebChatParams{}, 400, "AddressSid"},
		{"unknown address", WebChatParams{AddressSID: "IG99999999999999999999999999999999"}, 400, "not an address configuration"},
		{"sms address", WebChatParams{AddressSID: smsAddress}, 400, "not a webchat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, op := newOpenerFixture(t)
			_, err := f.eng.CreateWebChat(tt.p)
			te := twilio.AsError(err)
			if err == nil || te.Status != tt.status || !strings.Contains(te.Message, tt.msg) {
				t.Fatalf("err = %v, want %d mentioning %q", err, tt.status, tt.msg)
			}
			if len(op.opened) != 0 || f.env.Timeline.Last() != 0 {
				t.Errorf("state changed on a failed webchat")
			}
		})
	}
	// Without an opener (Conversations that cannot open conversations).
	f := newFixture(t)
	if _, err := f.eng.CreateWebChat(WebChatParams{AddressSID: chatAddress}); twilio.AsError(err).Status != 400 {
		t.Errorf("no opener: %v", err)
	}
}

func TestAPIWebChats(t *testing.T) {
	f, op := newOpenerFixture(t)
	srv := twiliotest.Serve(t, Product, f.eng, Routes())
	c := &tgclient.Client{Credentials: tgclient.NewCredentials(f.env.AccountSID, f.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(f.env.AccountSID)
	api := flexv2.NewApiServiceWithClient(c)
	wc, err := api.CreateWebChannel((&flexv2.CreateWebChannelParams{}).SetAddressSid(chatAddress).
		SetCustomerFriendlyName("Ana").SetPreEngagementData(`{"friendlyName":"Ana"}`).SetIdentity("ana"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := op.convs[*wc.ConversationSid]; *wc.Identity != "ana" || !ok || op.opened[0].Participants[0].Identity != "ana" {
		t.Errorf("web channel = %+v", wc)
	}
	if _, err := api.CreateWebChannel((&flexv2.CreateWebChannelParams{}).SetAddressSid(smsAddress)); err == nil ||
		!strings.Contains(err.Error(), "20001") {
		t.Errorf("sms address: %v", err)
	}
}

func TestInteractionWithParticipantsOpensConversation(t *testing.T) {
	f, op := newOpenerFixture(t)
	var ch ChannelParams
	ch.Type, ch.InitiatedBy = "sms", "agent"
	ch.Participants = []ChannelParticipant{{Address: "+15552223333", ProxyAddress: "+15550001111", Type: "sms"}}
	in, err := f.eng.CreateInteraction(CreateInteractionParams{Channel: ch,
		Routing: RoutingParams{WorkspaceSID: workspace, WorkerSID: "WK00000000000000000000000000000007", TaskChannelUniqueName: "chat"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(op.opened) != 1 || op.opened[0].Participants[0] != (OpenParticipant{Address: "+15552223333", ProxyAddress: "+15550001111"}) {
		t.Fatalf("opened %+v", op.opened)
	}
	spec := f.tr.tasks[0]
	if spec.RoutingTarget != "WK00000000000000000000000000000007" || spec.WorkflowSID != "" || spec.WorkspaceSID != workspace {
		t.Errorf("task spec = %+v", spec)
	}
	var attrs map[string]any
	_ = json.Unmarshal([]byte(spec.Attributes), &attrs)
	if attrs["customerAddress"] != "+15552223333" || attrs["direction"] != "outbound" || attrs["conversationSid"] == "" {
		t.Errorf("attributes = %s", spec.Attributes)
	}
	ch2, _ := f.eng.Channel(in.SID, in.ChannelSID)
	if ch2.ConversationSID != attrs["conversationSid"] {
		t.Errorf("channel conversation %s", ch2.ConversationSID)
	}

	// A queue target.
	_, err = f.eng.CreateInteraction(CreateInteractionParams{Channel: ch,
		Routing: RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow, QueueSID: "WQ00000000000000000000000000000009"}})
	if err != nil || f.tr.tasks[1].RoutingTarget != "WQ00000000000000000000000000000009" {
		t.Errorf("queue target: %v %+v", err, f.tr.tasks)
	}
}

func TestInteractionWithParticipantsDiscardsOnTaskFailure(t *testing.T) {
	f, op := newOpenerFixture(t)
	f.tr.failCreate = twilio.InvalidParam("TaskChannel", "nope")
	var ch ChannelParams
	ch.Type, ch.InitiatedBy = "sms", "agent"
	ch.Participants = []ChannelParticipant{{Address: "+15552223333", ProxyAddress: "+15550001111"}}
	if _, err := f.eng.CreateInteraction(CreateInteractionParams{Channel: ch,
		Routing: RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow}}); err == nil {
		t.Fatal("created")
	}
	if len(op.opened) != 1 || len(op.discarded) != 1 || len(f.eng.Interactions()) != 0 {
		t.Errorf("opened %d discarded %v interactions %d", len(op.opened), op.discarded, len(f.eng.Interactions()))
	}
	// An unknown workflow fails before any conversation is opened.
	f.tr.failCreate = nil
	if _, err := f.eng.CreateInteraction(CreateInteractionParams{Channel: ch,
		Routing: RoutingParams{WorkflowSID: "WW99999999999999999999999999999999"}}); err == nil || len(op.opened) != 1 {
		t.Errorf("unknown workflow: %v, opened %d", err, len(op.opened))
	}
	// Participants of another type, or missing a proxy address.
	bad := ch
	bad.Participants = []ChannelParticipant{{Address: "+15552223333", ProxyAddress: "+15550001111", Type: "whatsapp"}}
	if _, err := f.eng.CreateInteraction(CreateInteractionParams{Channel: bad,
		Routing: RoutingParams{WorkflowSID: workflow}}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("mixed types: %v", err)
	}
}
