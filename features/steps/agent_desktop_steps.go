package steps

// Steps that drive a real agent desktop: the unmodified twilio-taskrouter and
// @twilio/conversations SDKs, run by examples/agentsdk/desktop.js in a Node
// child process that takes JSON commands on stdin and reports every SDK event
// as JSON on stdout (agent_desktop.go). They sit next to the control-API
// agent steps:
//
//	Given alice is signed in to the agent desktop
//	When a customer sends "hello"
//	Then alice's agent desktop receives a reservation
//	When alice accepts the reservation in the agent desktop
//	Then alice's agent desktop shows the conversation with "hello"
//	When alice replies "Hi!" from the agent desktop
//	Then the customer should receive "Hi!"
//
// The script is found through FLEXEMU_AGENTSDK_DIR, else next to this package
// in the flexemu module, else above the working directory. Without node or
// the script's node_modules (npm ci in examples/agentsdk) such a scenario is
// skipped, unless FLEXEMU_REQUIRE_NODE=1, which makes it fail. FLEXEMU_CONVERSATIONS
// picks the Conversations SDK line ("3", the default, or "2").

import (
	"context"
	"errors"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

var agentDesktopSteps = []stepDef{
	{pattern: `^(\S+) is signed in to the agent desktop$`, fn: (*World).signIn,
		doc: "starts the identity's agent desktop (Node, examples/agentsdk/desktop.js) and waits until its Worker is ready and its Conversations client initialized; skipped without node or npm ci unless FLEXEMU_REQUIRE_NODE=1"},
	{pattern: `^(\S+) is signed in to the agent desktop with conversations ([23])$`, fn: (*World).signInWithLine,
		doc: "the same with @twilio/conversations 2 or 3"},
	{pattern: `^(\S+) sets (?:her|his|their) activity to "([^"]+)" in the agent desktop$`, fn: (*World).desktopSetsActivity,
		doc: "the desktop's Worker.setActivity"},
	{pattern: `^(\S+)'s agent desktop shows (?:her|his|their) activity as "([^"]+)"$`, fn: (*World).desktopShowsActivity,
		doc: "the newest activity the SDK reported is that one"},
	{pattern: `^(\S+)'s agent desktop receives a reservation$`, fn: (*World).desktopReceivesReservation,
		doc: "the SDK reports reservationCreated for the scenario's task and conversation"},
	{pattern: `^(\S+) (accepts|rejects) the reservation in the agent desktop$`, fn: (*World).desktopAnswersReservation,
		doc: "accepts or rejects the desktop's reservation and waits for the SDK's reservation event"},
	{pattern: `^(\S+)'s agent desktop shows the conversation with "([^"]*)"$`, fn: (*World).desktopShowsConversation,
		doc: "the desktop joined the reservation's conversation and its messages include that body"},
	{pattern: `^(\S+)'s agent desktop receives the message "([^"]*)"$`, fn: (*World).desktopReceivesMessage,
		doc: "the SDK reports messageAdded with that body in the desktop's conversation"},
	{pattern: `^(\S+) replies "([^"]*)" from the agent desktop$`, fn: (*World).desktopReplies,
		doc: "Conversation.sendMessage from the desktop; waits until the conversation has it"},
	{pattern: `^(\S+) (wraps up|completes) the task in the agent desktop$`, fn: (*World).desktopEndsTask,
		doc: "Reservation.wrap or complete from the desktop, waiting for the SDK's event"},
}

// desktop is identity's running agent desktop.
func (w *World) desktop(identity string) (*agentDesktop, error) {
	d := w.desktops[identity]
	if d == nil {
		return nil, fmt.Errorf("%s is not signed in to the agent desktop (Given %s is signed in to the agent desktop)", identity, identity)
	}
	return d, nil
}

func (w *World) signIn(ctx context.Context, identity string) error {
	return w.signInWithLine(ctx, identity, "")
}

func (w *World) signInWithLine(ctx context.Context, identity, line string) error {
	node, err := exec.LookPath("node")
	if err != nil {
		return nodeMissing(ctx, "node is not installed")
	}
	dir, err := agentSDKDir()
	if err != nil {
		return nodeMissing(ctx, err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "twilio-taskrouter", "package.json")); err != nil {
		return nodeMissing(ctx, fmt.Sprintf("%s has no node_modules (npm ci --prefix %s)", dir, dir))
	}
	if line == "" {
		line = os.Getenv("FLEXEMU_CONVERSATIONS")
	}
	if line == "" {
		line = "3"
	}
	if old := w.desktops[identity]; old != nil {
		old.close()
		delete(w.desktops, identity)
	}
	d, err := startDesktop(node, dir, w.URL, identity, line)
	if err != nil {
		return err
	}
	if w.desktops == nil {
		w.desktops = map[string]*agentDesktop{}
	}
	w.desktops[identity] = d

	// Signed in: the Worker is ready and the Conversations client initialized.
	if _, err := d.waitFor(ctx, "the Worker's ready event", func(evs []desktopEvent, i int) bool {
		return evs[i].str("event") == "ready"
	}); err != nil {
		return err
	}
	ev, err := d.waitFor(ctx, "the Conversations client's initialization", func(evs []desktopEvent, i int) bool {
		e := evs[i]
		return e.str("event") == "initFailed" || (e.str("event") == "stateChanged" && (e.str("state") == "initialized" || e.str("state") == "failed"))
	})
	if err != nil {
		return err
	}
	if ev.str("state") != "initialized" {
		return fmt.Errorf("the Conversations client did not initialize: %s", d.recent(10))
	}
	return nil
}

func (w *World) desktopSetsActivity(ctx context.Context, identity, activity string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	res, err := d.command(ctx, map[string]any{"cmd": "setActivity", "name": activity})
	if err != nil {
		return err
	}
	if got, _ := res["activity"].(string); got != activity {
		return fmt.Errorf("%s's worker is %q after setting %q", identity, got, activity)
	}
	return nil
}

func (w *World) desktopShowsActivity(ctx context.Context, identity, activity string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	_, err = d.waitFor(ctx, fmt.Sprintf("the worker's activity %q", activity), func(evs []desktopEvent, i int) bool {
		if i != len(evs)-1 {
			return false
		}
		// The newest activity the SDK reported is the one shown.
		for j := i; j >= 0; j-- {
			if n := evs[j].str("event"); n == "activityUpdated" || n == "ready" {
				return evs[j].str("activity") == activity
			}
		}
		return false
	})
	return err
}

func (w *World) desktopReceivesReservation(ctx context.Context, identity string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	ev, err := d.waitFor(ctx, "reservationCreated", func(evs []desktopEvent, i int) bool {
		e := evs[i]
		return e.str("event") == "reservationCreated" && e.str("sid") != d.reservationSID &&
			(w.conversationSID == "" || e.str("conversationSid") == w.conversationSID) && (w.taskSID == "" || e.str("taskSid") == w.taskSID)
	})
	if err != nil {
		return err
	}
	d.reservationSID, d.conversationSID = ev.str("sid"), ev.str("conversationSid")
	return nil
}

// desktopReservationCommand sends a reservation command and waits for the
// SDK event that confirms it; desktop.js reports a Reservation's events
// under TaskRouter's event types ("reservation.accepted").
func (w *World) desktopReservationCommand(ctx context.Context, identity, cmd string, event eventtype.TaskRouter) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	if d.reservationSID == "" {
		return errors.New("the agent desktop has received no reservation yet")
	}
	if _, err := d.command(ctx, map[string]any{"cmd": cmd, "reservationSid": d.reservationSID}); err != nil {
		return err
	}
	_, err = d.waitFor(ctx, string(event), func(evs []desktopEvent, i int) bool {
		return evs[i].str("event") == string(event) && evs[i].str("sid") == d.reservationSID
	})
	return err
}

func (w *World) desktopAnswersReservation(ctx context.Context, identity, verb string) error {
	if verb == "rejects" {
		return w.desktopReservationCommand(ctx, identity, "reject", eventtype.ReservationRejected)
	}
	return w.desktopReservationCommand(ctx, identity, "accept", eventtype.ReservationAccepted)
}

func (w *World) desktopEndsTask(ctx context.Context, identity, verb string) error {
	if verb == "completes" {
		return w.desktopReservationCommand(ctx, identity, "complete", eventtype.ReservationCompleted)
	}
	return w.desktopReservationCommand(ctx, identity, "wrapup", eventtype.ReservationWrapup)
}

func (w *World) desktopShowsConversation(ctx context.Context, identity, body string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	conv := d.conversation(w)
	if _, err := d.waitFor(ctx, "conversationJoined "+conv, func(evs []desktopEvent, i int) bool {
		return evs[i].str("event") == "conversationJoined" && (conv == "" || evs[i].str("sid") == conv)
	}); err != nil {
		return err
	}
	var seen []string
	deadline := time.Now().Add(desktopTimeout)
	for {
		res, err := d.command(ctx, map[string]any{"cmd": "getMessages", "conversationSid": conv})
		if err != nil {
			return err
		}
		seen = seen[:0]
		msgs, _ := res["messages"].([]any)
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			b, _ := mm["body"].(string)
			if b == body {
				return nil
			}
			seen = append(seen, b)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the agent desktop's conversation %s shows %q, not %q", conv, seen, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *World) desktopReceivesMessage(ctx context.Context, identity, body string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	conv := d.conversation(w)
	_, err = d.waitFor(ctx, fmt.Sprintf("messageAdded %q", body), func(evs []desktopEvent, i int) bool {
		e := evs[i]
		return e.str("event") == "messageAdded" && e.str("body") == body && (conv == "" || e.str("conversationSid") == conv)
	})
	return err
}

func (w *World) desktopReplies(ctx context.Context, identity, body string) error {
	d, err := w.desktop(identity)
	if err != nil {
		return err
	}
	conv := d.conversation(w)
	if conv == "" {
		return errors.New("the agent desktop is in no conversation")
	}
	res, err := d.command(ctx, map[string]any{"cmd": "sendMessage", "conversationSid": conv, "body": body})
	if err != nil {
		return err
	}
	// Resolved means accepted by the server; wait until the conversation has it.
	index, _ := res["index"].(float64)
	deadline := time.Now().Add(desktopTimeout)
	for time.Now().Before(deadline) {
		msgs, err := w.Control.Messages(ctx, conv, int(index)-1, 2*time.Second)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Body == body && m.Author == identity {
				return nil
			}
		}
	}
	return fmt.Errorf("sendMessage resolved with index %v but conversation %s has no %q from %s", res["index"], conv, body, identity)
}
