package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
)

// Steps for the three webhook levels, pre-events, retries and state timers.
var webhookSteps = []stepDef{
	{pattern: `^the account's pre-event webhook points at the receiver for "([^"]+)"$`, fn: (*World).preWebhookToReceiver,
		doc: `the account-level pre-event webhook, filters comma-separated ("onConversationAdd,onMessageAdd")`},
	{pattern: `^the service's post-event webhook points at the receiver for "([^"]+)"$`, fn: (*World).serviceWebhookToReceiver,
		doc: "the default Conversations service's post-event webhook"},
	{pattern: `^the receiver answers "([^"]+)" with (\d{3})$`, fn: (*World).receiverAnswersStatus,
		doc: "the receiver answers every request for that event with that status (a 4xx blocks a pre-event)"},
	{pattern: `^the receiver answers "([^"]+)" with (\{.*\})$`, fn: (*World).receiverAnswersJSON,
		doc: `the receiver answers that event 200 with that JSON (a pre-event's modification: {"body": "…"})`},
	{pattern: `^the receiver fails the first (\d+) "([^"]+)" deliveries$`, fn: (*World).receiverFailsFirst,
		doc: "the receiver answers 500 to the first N requests for that event, then 200"},
	{pattern: `^a customer tries to send "([^"]*)"$`, fn: (*World).customerTriesToSend,
		doc: "an inbound message whose refusal the next steps check"},
	{pattern: `^the message should be refused by the pre-event webhook$`, fn: (*World).refusedByPreEvent,
		doc: "the last tried message was refused with a 403"},
	{pattern: `^no conversation should exist$`, fn: (*World).noConversation,
		doc: "the account has no conversation"},
	{pattern: `^the last message of the conversation should read "([^"]*)"$`, fn: (*World).lastMessageReads,
		doc: "the newest message of the scenario's conversation has that body"},
	{pattern: `^the conversation has timers of "([^"]+)" inactive and "([^"]+)" closed$`, fn: (*World).conversationTimers,
		doc: `sets the scenario's conversation's timers (ISO 8601 durations, "PT1M")`},
	{pattern: `^the conversation should be "([^"]+)"$`, fn: (*World).conversationState,
		doc: `the scenario's conversation's state ("active", "inactive", "closed")`},
	{pattern: `^a new conversation should have been started$`, fn: (*World).newConversationStarted,
		doc: "the last customer message created its conversation"},
	{pattern: `^the delivery log should show (\d+) attempts? of "([^"]+)" to the receiver, the last answered (\d{3})$`, fn: (*World).deliveryAttempts,
		doc: "the emulator's delivery log has N attempts of that event to the receiver, the last with that status"},
	{pattern: `^the receiver should have got (\d+) "([^"]+)" webhooks?$`, fn: (*World).receiverGotCount,
		doc: "after the emulator's webhooks settle, the receiver got that many requests for that event"},
}

func (w *World) preWebhookToReceiver(ctx context.Context, filters string) error {
	p := &conversations.UpdateConfigurationWebhookParams{}
	p.SetPreWebhookUrl(w.Receiver().URL() + "/pre").SetMethod("POST").SetFilters(strings.Split(filters, ","))
	_, err := w.Twilio.ConversationsV1.UpdateConfigurationWebhook(p)
	return err
}

func (w *World) serviceWebhookToReceiver(ctx context.Context, filters string) error {
	rc := w.Receiver()
	cfg, err := w.Twilio.ConversationsV1.FetchConfiguration()
	if err != nil {
		return err
	}
	p := &conversations.UpdateServiceWebhookConfigurationParams{}
	p.SetPostWebhookUrl(rc.URL() + "/service").SetMethod("POST").SetFilters(strings.Split(filters, ","))
	_, err = w.Twilio.ConversationsV1.UpdateServiceWebhookConfiguration(str(cfg.DefaultChatServiceSid), p)
	return err
}

func (w *World) receiverAnswersStatus(ctx context.Context, event string, status int) error {
	w.Receiver().Script(event, 0, status, "")
	return nil
}

func (w *World) receiverAnswersJSON(ctx context.Context, event, body string) error {
	w.Receiver().Script(event, 0, 200, body)
	return nil
}

func (w *World) receiverFailsFirst(ctx context.Context, n int, event string) error {
	w.Receiver().Script(event, n, 500, "")
	return nil
}

func (w *World) customerTriesToSend(ctx context.Context, body string) error {
	w.lastErr = w.customerSends(ctx, "", "", body)
	return nil
}

func (w *World) refusedByPreEvent(ctx context.Context) error {
	var te *twilio.Error
	if !errors.As(w.lastErr, &te) || te.Status != 403 {
		return fmt.Errorf("the message was not refused with a 403 (error: %v)", w.lastErr)
	}
	return nil
}

func (w *World) noConversation(ctx context.Context) error {
	convs, err := w.Twilio.ConversationsV1.ListConversation(nil)
	if err != nil {
		return err
	}
	if len(convs) != 0 {
		return fmt.Errorf("%d conversations exist, want none", len(convs))
	}
	return nil
}

func (w *World) lastMessageReads(ctx context.Context, want string) error {
	msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
	if err != nil {
		return err
	}
	if len(msgs) == 0 || str(msgs[len(msgs)-1].Body) != want {
		return fmt.Errorf("conversation %s has %d messages, the last reading %q; want %q", w.conversationSID, len(msgs), lastBody(msgs), want)
	}
	return nil
}

func (w *World) conversationTimers(ctx context.Context, inactive, closed string) error {
	p := &conversations.UpdateConversationParams{}
	p.SetTimersInactive(inactive).SetTimersClosed(closed)
	_, err := w.Twilio.ConversationsV1.UpdateConversation(w.conversationSID, p)
	return err
}

func (w *World) conversationState(ctx context.Context, state string) error {
	c, err := w.Twilio.ConversationsV1.FetchConversation(w.conversationSID)
	if err != nil {
		return err
	}
	if str(c.State) != state {
		return fmt.Errorf("conversation %s is %q, want %q", w.conversationSID, str(c.State), state)
	}
	return nil
}

func (w *World) newConversationStarted(ctx context.Context) error {
	if w.lastTrace == nil || !w.lastTrace.CreatedConversation {
		return errors.New("the last message went to an existing conversation")
	}
	return nil
}

func (w *World) deliveryAttempts(ctx context.Context, n int, event string, status int) error {
	rc := w.Receiver()
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	log, err := w.Control.Deliveries(ctx)
	if err != nil {
		return err
	}
	var attempts []int
	last := 0
	for _, d := range log {
		if d.Request.Event == event && strings.HasPrefix(d.Request.URL, rc.URL()) {
			attempts = append(attempts, d.Attempt)
			last = d.Status
		}
	}
	if len(attempts) != n || last != status {
		return fmt.Errorf("%s to the receiver: attempts %v, last status %d; want %d attempts, last %d", event, attempts, last, n, status)
	}
	return nil
}

func (w *World) receiverGotCount(ctx context.Context, n int, event string) error {
	rc := w.Receiver()
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	got := 0
	for _, r := range rc.Requests() {
		if r.Params["EventType"] == event {
			got++
		}
	}
	if got != n {
		return fmt.Errorf("the receiver got %d %s webhooks, want %d", got, event, n)
	}
	return nil
}

func lastBody(msgs []conversations.ConversationsV1ConversationMessage) string {
	if len(msgs) == 0 {
		return ""
	}
	return str(msgs[len(msgs)-1].Body)
}
