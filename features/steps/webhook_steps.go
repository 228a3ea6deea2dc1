package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/emulator/twilio"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
)

// Steps for the three webhook levels, pre-events, retries and state timers.
func registerWebhookSteps(sc *godog.ScenarioContext) {
	sc.Step(`^the account's pre-event webhook points at the receiver for "([^"]+)"$`, func(ctx context.Context, filters string) error {
		w, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
		p := &conversations.UpdateConfigurationWebhookParams{}
		p.SetPreWebhookUrl(rc.URL() + "/pre").SetMethod("POST").SetFilters(strings.Split(filters, ","))
		_, err = w.Twilio.ConversationsV1.UpdateConfigurationWebhook(p)
		return err
	})
	sc.Step(`^the service's post-event webhook points at the receiver for "([^"]+)"$`, func(ctx context.Context, filters string) error {
		w, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
		cfg, err := w.Twilio.ConversationsV1.FetchConfiguration()
		if err != nil {
			return err
		}
		p := &conversations.UpdateServiceWebhookConfigurationParams{}
		p.SetPostWebhookUrl(rc.URL() + "/service").SetMethod("POST").SetFilters(strings.Split(filters, ","))
		_, err = w.Twilio.ConversationsV1.UpdateServiceWebhookConfiguration(str(cfg.DefaultChatServiceSid), p)
		return err
	})
	sc.Step(`^the receiver answers "([^"]+)" with (\d{3})$`, func(ctx context.Context, event string, status int) error {
		_, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
		rc.Script(event, 0, status, "")
		return nil
	})
	sc.Step(`^the receiver answers "([^"]+)" with (\{.*\})$`, func(ctx context.Context, event, body string) error {
		_, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
		rc.Script(event, 0, 200, body)
		return nil
	})
	sc.Step(`^the receiver fails the first (\d+) "([^"]+)" deliveries$`, func(ctx context.Context, n int, event string) error {
		_, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
		rc.Script(event, n, 500, "")
		return nil
	})
	sc.Step(`^a customer tries to send "([^"]*)"$`, func(ctx context.Context, body string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		w.lastErr = customerSends(ctx, "", "", body)
		return nil
	})
	sc.Step(`^the message should be refused by the pre-event webhook$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		var te *twilio.Error
		if !errors.As(w.lastErr, &te) || te.Status != 403 {
			return fmt.Errorf("the message was not refused with a 403 (error: %v)", w.lastErr)
		}
		return nil
	})
	sc.Step(`^no conversation should exist$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		convs, err := w.Twilio.ConversationsV1.ListConversation(nil)
		if err != nil {
			return err
		}
		if len(convs) != 0 {
			return fmt.Errorf("%d conversations exist, want none", len(convs))
		}
		return nil
	})
	sc.Step(`^the last message of the conversation should read "([^"]*)"$`, func(ctx context.Context, want string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		msgs, err := w.Twilio.ConversationsV1.ListConversationMessage(w.conversationSID, nil)
		if err != nil {
			return err
		}
		if len(msgs) == 0 || str(msgs[len(msgs)-1].Body) != want {
			return fmt.Errorf("conversation %s has %d messages, the last reading %q; want %q", w.conversationSID, len(msgs), lastBody(msgs), want)
		}
		return nil
	})
	sc.Step(`^the conversation has timers of "([^"]+)" inactive and "([^"]+)" closed$`, func(ctx context.Context, inactive, closed string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		p := &conversations.UpdateConversationParams{}
		p.SetTimersInactive(inactive).SetTimersClosed(closed)
		_, err = w.Twilio.ConversationsV1.UpdateConversation(w.conversationSID, p)
		return err
	})
	sc.Step(`^the conversation should be "([^"]+)"$`, func(ctx context.Context, state string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		c, err := w.Twilio.ConversationsV1.FetchConversation(w.conversationSID)
		if err != nil {
			return err
		}
		if str(c.State) != state {
			return fmt.Errorf("conversation %s is %q, want %q", w.conversationSID, str(c.State), state)
		}
		return nil
	})
	sc.Step(`^a new conversation should have been started$`, func(ctx context.Context) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		if w.lastTrace == nil || !w.lastTrace.CreatedConversation {
			return errors.New("the last message went to an existing conversation")
		}
		return nil
	})
	sc.Step(`^the delivery log should show (\d+) attempts? of "([^"]+)" to the receiver, the last answered (\d{3})$`,
		func(ctx context.Context, n int, event string, status int) error {
			w, rc, err := worldAndReceiver(ctx)
			if err != nil {
				return err
			}
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
		})
	sc.Step(`^the receiver should have got (\d+) "([^"]+)" webhooks?$`, func(ctx context.Context, n int, event string) error {
		w, rc, err := worldAndReceiver(ctx)
		if err != nil {
			return err
		}
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
	})
}

func worldAndReceiver(ctx context.Context) (*World, *Receiver, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	rc, err := receiver(ctx)
	return w, rc, err
}

func lastBody(msgs []conversations.ConversationsV1ConversationMessage) string {
	if len(msgs) == 0 {
		return ""
	}
	return str(msgs[len(msgs)-1].Body)
}
