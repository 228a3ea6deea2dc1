package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cucumber/godog"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// Steps for what Flex UI does when an agent transfers a conversation: it
// calls the Interactions API's Transfers endpoint (cold or warm, to a worker
// or a queue) and later completes or cancels a warm transfer; and the older
// invite-based transfer Flex plugins do (an Invite on the channel).
//
//	When worker "carol" transfers the conversation to queue "Sales"
//	When worker "carol" warm transfers the conversation to worker "bob"
//	When worker "carol" invites queue "Sales" to the conversation
//	Then the transfer should be "completed"
//	And the original task should be "wrapping"
//
// After a transfer or invite, "the task" of the other steps is the new task.

// xferState is the per-scenario state of the transfer steps.
type xferState struct {
	interactionSID, channelSID string
	transferSID                string
	originalTask               string // the transferring agent's task
}

type xferKey struct{}

func xferStateOf(ctx context.Context) (*xferState, error) {
	s, _ := ctx.Value(xferKey{}).(*xferState)
	if s == nil {
		return nil, errors.New("transfer steps are not registered")
	}
	return s, nil
}

// startedTransfer is the scenario's world and the transfer its steps started.
func startedTransfer(ctx context.Context) (*World, *xferState, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := xferStateOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if s.transferSID == "" {
		return nil, nil, errors.New("no transfer was started")
	}
	return w, s, nil
}

func registerTransferSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, xferKey{}, &xferState{}), nil
	})
	sc.Step(`^worker "([^"]+)" (?:(cold|warm) )?transfers the conversation to (queue|worker) "([^"]+)"$`, transferConversation)
	sc.Step(`^worker "([^"]+)" invites (queue|worker) "([^"]+)" to the conversation$`, inviteToConversation)
	sc.Step(`^worker "([^"]+)" (completes|cancels) the transfer$`, func(ctx context.Context, _ string, verb string) error {
		w, s, err := startedTransfer(ctx)
		if err != nil {
			return err
		}
		status := map[string]string{"completes": "completed", "cancels": "failed"}[verb]
		_, err = w.Twilio.FlexV1.UpdateInteractionTransfer(s.interactionSID, s.channelSID, s.transferSID,
			(&flexapi.UpdateInteractionTransferParams{}).SetBody(map[string]any{"status": status}))
		return err
	})
	sc.Step(`^the transfer should be "([^"]+)"$`, func(ctx context.Context, want string) error {
		w, s, err := startedTransfer(ctx)
		if err != nil {
			return err
		}
		tr, err := w.Twilio.FlexV1.FetchInteractionTransfer(s.interactionSID, s.channelSID, s.transferSID)
		if err != nil {
			return err
		}
		if got := str(tr.Status); got != want {
			return fmt.Errorf("transfer %s is %q, want %q", s.transferSID, got, want)
		}
		return nil
	})
	sc.Step(`^the original task should be "([^"]+)"$`, func(ctx context.Context, want string) error {
		w, err := world(ctx)
		if err != nil {
			return err
		}
		s, err := xferStateOf(ctx)
		if err != nil {
			return err
		}
		if s.originalTask == "" {
			return errors.New("no transfer was started")
		}
		t, err := w.Twilio.TaskrouterV1.FetchTask(w.Info.Workspace.SID, s.originalTask)
		if err != nil {
			return err
		}
		if got := str(t.AssignmentStatus); got != want {
			return fmt.Errorf("original task %s is %q, want %q", s.originalTask, got, want)
		}
		return nil
	})
}

// agentParticipant finds the interaction channel of the current task and
// worker's active agent participant in it, remembering the channel and the
// worker's task in s.
func agentParticipant(ctx context.Context, s *xferState, worker string) (*World, string, error) {
	w, _, workerSID, err := workerByName(ctx, worker)
	if err != nil {
		return nil, "", err
	}
	t, err := lastTask(ctx)
	if err != nil {
		return nil, "", err
	}
	kd, _ := attribute(str(t.Attributes), "flexInteractionSid")
	uo, _ := attribute(str(t.Attributes), "flexInteractionChannelSid")
	if kd == "" || uo == "" {
		return nil, "", fmt.Errorf("task %s is not a Flex interaction task: %s", *t.Sid, str(t.Attributes))
	}
	parts, err := w.Twilio.FlexV1.ListInteractionChannelParticipant(kd, uo, nil)
	if err != nil {
		return nil, "", err
	}
	for _, p := range parts {
		if str(p.Type) != "agent" || p.RoutingProperties == nil {
			continue
		}
		raw, _ := json.Marshal(*p.RoutingProperties)
		var rp struct {
			WorkerSID string `json:"worker_sid"`
			TaskSID   string `json:"task_sid"`
		}
		if json.Unmarshal(raw, &rp) == nil && rp.WorkerSID == workerSID {
			s.interactionSID, s.channelSID, s.originalTask = kd, uo, rp.TaskSID
			return w, *p.Sid, nil
		}
	}
	return nil, "", fmt.Errorf("worker %s is not an agent participant of interaction channel %s", worker, uo)
}

// targetSID is the SID of a worker or a queue named by friendly name.
func targetSID(ctx context.Context, kind, name string) (string, error) {
	if kind == "worker" {
		_, _, sid, err := workerByName(ctx, name)
		return sid, err
	}
	w, err := world(ctx)
	if err != nil {
		return "", err
	}
	p := &taskrouter.ListTaskQueueParams{}
	p.SetFriendlyName(name)
	qs, err := w.Twilio.TaskrouterV1.ListTaskQueue(w.Info.Workspace.SID, p)
	if err != nil {
		return "", err
	}
	if len(qs) == 0 {
		return "", fmt.Errorf("no queue named %q", name)
	}
	return *qs[0].Sid, nil
}

// followInvite makes the channel's newest invite's task "the task".
func followInvite(w *World, s *xferState) error {
	invs, err := w.Twilio.FlexV1.ListInteractionChannelInvite(s.interactionSID, s.channelSID, nil)
	if err != nil {
		return err
	}
	if len(invs) == 0 || invs[len(invs)-1].Routing == nil {
		return fmt.Errorf("interaction channel %s has no invite", s.channelSID)
	}
	raw, _ := json.Marshal(*invs[len(invs)-1].Routing)
	var r struct {
		Properties struct {
			SID string `json:"sid"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || r.Properties.SID == "" {
		return fmt.Errorf("invite routing without a task: %s", raw)
	}
	w.taskSID = r.Properties.SID
	return nil
}

func transferConversation(ctx context.Context, worker, mode, kind, name string) error {
	s, err := xferStateOf(ctx)
	if err != nil {
		return err
	}
	if mode == "" {
		mode = "cold"
	}
	w, from, err := agentParticipant(ctx, s, worker)
	if err != nil {
		return err
	}
	to, err := targetSID(ctx, kind, name)
	if err != nil {
		return err
	}
	tr, err := w.Twilio.FlexV1.CreateInteractionTransfer(s.interactionSID, s.channelSID,
		(&flexapi.CreateInteractionTransferParams{}).SetBody(map[string]any{"type": mode, "from": from, "to": to}))
	if err != nil {
		return err
	}
	s.transferSID = str(tr.Sid)
	return followInvite(w, s)
}

// inviteToConversation is the invite-based transfer of Flex plugins: an
// invite on the channel carrying the worker's task attributes and the
// target, routed through the task's workflow to the target.
func inviteToConversation(ctx context.Context, worker, kind, name string) error {
	s, err := xferStateOf(ctx)
	if err != nil {
		return err
	}
	w, _, err := agentParticipant(ctx, s, worker)
	if err != nil {
		return err
	}
	to, err := targetSID(ctx, kind, name)
	if err != nil {
		return err
	}
	t, err := w.Twilio.TaskrouterV1.FetchTask(w.Info.Workspace.SID, s.originalTask)
	if err != nil {
		return err
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(str(t.Attributes)), &attrs); err != nil {
		return err
	}
	attrs["transferTargetSid"], attrs["transferTargetType"] = to, kind
	if kind == "queue" {
		attrs["transferQueueName"] = name
	}
	props := map[string]any{"workspace_sid": w.Info.Workspace.SID, "workflow_sid": str(t.WorkflowSid),
		"task_channel_unique_name": str(t.TaskChannelUniqueName), "attributes": attrs}
	props[kind+"_sid"] = to
	if _, err := w.Twilio.FlexV1.CreateInteractionChannelInvite(s.interactionSID, s.channelSID,
		(&flexapi.CreateInteractionChannelInviteParams{}).SetRouting(map[string]any{"properties": props})); err != nil {
		return err
	}
	return followInvite(w, s)
}
