package steps

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cucumber/godog"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
)

// Steps for what the Flex UI does when an agent ends a chat: it updates the
// agent's Interaction Channel Participant (wrapup, then closed).
func registerFlexSteps(sc *godog.ScenarioContext) {
	sc.Step(`^worker "([^"]+)" (wraps up|completes) the conversation$`, func(ctx context.Context, worker, verb string) error {
		status := map[string]string{"wraps up": "wrapup", "completes": "closed"}[verb]
		w, err := world(ctx)
		if err != nil {
			return err
		}
		_, _, workerSID, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		kd, _ := attribute(str(t.Attributes), "flexInteractionSid")
		uo, _ := attribute(str(t.Attributes), "flexInteractionChannelSid")
		if kd == "" || uo == "" {
			return fmt.Errorf("task %s is not a Flex interaction task: %s", *t.Sid, str(t.Attributes))
		}
		parts, err := w.Twilio.FlexV1.ListInteractionChannelParticipant(kd, uo, nil)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if str(p.Type) != "agent" || p.RoutingProperties == nil {
				continue
			}
			raw, _ := json.Marshal(*p.RoutingProperties)
			var rp struct {
				WorkerSID string `json:"worker_sid"`
			}
			if json.Unmarshal(raw, &rp) == nil && rp.WorkerSID == workerSID {
				_, err := w.Twilio.FlexV1.UpdateInteractionChannelParticipant(kd, uo, *p.Sid,
					(&flexapi.UpdateInteractionChannelParticipantParams{}).SetStatus(status))
				return err
			}
		}
		return fmt.Errorf("worker %s is not an agent participant of interaction channel %s (%d participants)", worker, uo, len(parts))
	})
	sc.Step(`^"([^"]+)" should not be a participant of the conversation$`, func(ctx context.Context, identity string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		parts, err := w.Twilio.ConversationsV1.ListConversationParticipant(w.conversationSID, nil)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.Identity != nil && *p.Identity == identity {
				return fmt.Errorf("%q is still a participant of %s", identity, w.conversationSID)
			}
		}
		return nil
	})
}
