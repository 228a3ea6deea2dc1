package studio

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

const (
	convSID    = "CH11111111111111111111111111111111"
	webhookSID = "WH11111111111111111111111111111111"
	customer   = "+15552223333"
	proxy      = "+15550001111"
)

type fakeFlex struct {
	calls []SendToFlexParams
	fail  error
}

func (f *fakeFlex) SendToFlex(p SendToFlexParams) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	f.calls = append(f.calls, p)
	return fmt.Sprintf("WT%032d", len(f.calls)), nil
}

type posted struct{ conv, author, body string }

type fakeConversations struct {
	removed  []string // "CH…/WH…"
	posts    []posted
	msgs     []OutboundMessage // as posted
	failPost error
	// onPost, when set, runs after a post (to simulate the conversation
	// delivering the message back to the studio webhook).
	onPost func(p posted)
}

func (f *fakeConversations) RemoveWebhook(conv, wh string) error {
	f.removed = append(f.removed, conv+"/"+wh)
	return nil
}

func (f *fakeConversations) PostMessage(m OutboundMessage) (PostedMessage, error) {
	if f.failPost != nil {
		return PostedMessage{}, f.failPost
	}
	author := m.Author
	if author == "" {
		author = MessageAuthor // as Conversations defaults it
	}
	attrs := m.Attributes
	if attrs == "" {
		attrs = "{}"
	}
	p := posted{m.ConversationSID, author, m.Body}
	f.posts = append(f.posts, p)
	f.msgs = append(f.msgs, m)
	if f.onPost != nil {
		f.onPost(p)
	}
	return PostedMessage{SID: fmt.Sprintf("IM%032d", 900+len(f.posts)), Index: 100 + len(f.posts), Author: author,
		Body: m.Body, Attributes: attrs}, nil
}

type fixture struct {
	env  env.Env
	clk  *clock.Virtual
	flex *fakeFlex
	conv *fakeConversations
	eng  *Engine
	seq  int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e, clk := env.ForTest()
	f := &fixture{env: e, clk: clk, flex: &fakeFlex{}, conv: &fakeConversations{}}
	f.eng = New(e, f.flex, f.conv)
	return f
}

func readFlow(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// publish saves definition as a published flow.
func (f *fixture) publish(t *testing.T, definition string) *Flow {
	t.Helper()
	fl, err := f.eng.CreateFlow(CreateFlowParams{FriendlyName: "Inbound", Status: FlowPublished, Definition: definition})
	if err != nil {
		t.Fatalf("CreateFlow: %v", err)
	}
	return fl
}

// message builds the next customer message on the SMS conversation.
func (f *fixture) message(body string) ConversationMessage {
	f.seq++
	return ConversationMessage{AccountSID: f.env.AccountSID, ChatServiceSID: "IS00000000000000000000000000000001",
		ConversationSID: convSID, MessageSID: fmt.Sprintf("IM%032d", f.seq),
		MessagingServiceSID: "MG00000000000000000000000000000001", ParticipantSID: "MB00000000000000000000000000000001",
		Author: customer, Body: body, Attributes: "{}", Source: "SMS", Index: f.seq - 1,
		DateCreated:            time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
		ConversationAttributes: map[string]any{"from": "Ann"}, CustomerAddress: customer, ProxyAddress: proxy}
}

// send delivers a message through the studio webhook.
func (f *fixture) send(t *testing.T, flowSID, body string) {
	t.Helper()
	if err := f.eng.ConversationMessageAdded(flowSID, webhookSID, f.message(body)); err != nil {
		t.Fatalf("ConversationMessageAdded: %v", err)
	}
}

// onlyExecution returns the flow's single execution.
func (f *fixture) onlyExecution(t *testing.T, flowSID string) *Execution {
	t.Helper()
	exs, err := f.eng.ListExecutions(flowSID, ListExecutionsParams{})
	if err != nil || len(exs) != 1 {
		t.Fatalf("executions = %d (%v), want 1", len(exs), err)
	}
	return exs[0]
}

// stepTrail renders steps as "from -event-> to" lines.
func stepTrail(ex *Execution) string {
	var b []string
	for _, s := range ex.Steps {
		b = append(b, fmt.Sprintf("%s -%s-> %s", s.TransitionedFrom, s.Name, s.TransitionedTo))
	}
	return strings.Join(b, "\n")
}

func timelineTypes(e env.Env) []string {
	var out []string
	for _, en := range e.Timeline.Since(0) {
		out = append(out, en.Type)
	}
	return out
}

func isTwilio(err error, status int) bool {
	return err != nil && twilio.AsError(err).Status == status
}
