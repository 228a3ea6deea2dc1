// Package agentsdk_test drives flexemu with the unmodified agent SDKs —
// twilio-taskrouter 2.1.1 and @twilio/conversations, both the 3.0.1 line and
// the 2.5.0 line that Flex UI 2.x bundles — through examples/agentsdk/agent.js,
// which runs an agent's whole journey and prints one JSON summary.
// .ci/run installs the npm dependencies and sets FLEXEMU_REQUIRE_NODE=1, so in
// CI this test runs rather than skips.
package agentsdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/emulatortest"
)

// summary is agent.js's JSON line (only what the test asserts on).
type summary struct {
	OK     bool     `json:"ok"`
	Line   string   `json:"line"`
	Steps  []string `json:"steps"`
	Failed []struct {
		Step  string `json:"step"`
		Error string `json:"error"`
	} `json:"failed"`
	Skipped []struct {
		Step    string   `json:"step"`
		Because []string `json:"because"`
	} `json:"skipped"`
	FailedStep string `json:"failedStep"`
	LastStep   string `json:"lastStep"`
	Error      string `json:"error"`

	TaskRouter    string `json:"taskrouter"`
	Conversations string `json:"conversations"`
	WorkerSID     string `json:"workerSid"`

	Customer          string   `json:"customer"`
	RestActivity      string   `json:"restActivity"`
	AvailablePushed   bool     `json:"availablePushed"`
	OwnMessageAdded   bool     `json:"ownMessageAdded"`
	HistoryAuthors    []string `json:"historyAuthors"`
	Activity          string   `json:"activity"`
	ConversationSID   string   `json:"conversationSid"`
	TaskSID           string   `json:"taskSid"`
	ReservationSID    string   `json:"reservationSid"`
	ReservationTask   string   `json:"reservationTaskSid"`
	ReservationConv   string   `json:"reservationConversationSid"`
	ReservationStatus string   `json:"reservationStatus"`
	AcceptedStatus    string   `json:"acceptedStatus"`
	Joined            string   `json:"joined"`
	History           []string `json:"history"`
	Live              struct{ Body, Author string }
	SentIndex         *int                          `json:"sentIndex"`
	CustomerReceived  struct{ Author, Body string } `json:"customerReceived"`
	SentToChannel     bool                          `json:"sentToChannel"`
	DeliveryReceipts  []struct {
		SID, MessageSID, ParticipantSID, Status string
		ErrorCode                               int
	} `json:"deliveryReceipts"`
	WrapupTaskStatus   string `json:"wrapupTaskStatus"`
	CompletedStatus    string `json:"completedStatus"`
	CompletedTaskState string `json:"completedTaskStatus"`
	BadToken           struct {
		Worker            map[string]any `json:"worker"`
		WorkerReady       bool           `json:"workerReady"`
		Client            map[string]any `json:"client"`
		ClientConnected   bool           `json:"clientConnected"`
		ClientInitialized bool           `json:"clientInitialized"`
	} `json:"badToken"`
	Uncaught []map[string]any  `json:"uncaught"`
	Events   []json.RawMessage `json:"events"`
}

// journeySteps are agent.js's steps, in order.
var journeySteps = []string{"info", "token", "workerReady", "clientInitialized", "restActivityPushed", "available",
	"customerHello", "reservationCreated", "accept", "conversationJoined", "history", "liveMessage", "sendMessage",
	"customerReceived", "deliveryReceipts", "typing", "readHorizon", "wrapup", "complete", "leave", "badTokenRefused"}

func TestAgentSDKJourney(t *testing.T) {
	node, err := exec.LookPath("node")
	_, modErr := os.Stat("node_modules/twilio-taskrouter/package.json")
	if err != nil || modErr != nil {
		if os.Getenv("FLEXEMU_REQUIRE_NODE") == "1" {
			t.Fatalf("node (%v) or examples/agentsdk/node_modules (%v) missing; run npm ci in examples/agentsdk", err, modErr)
		}
		t.Skip("node or examples/agentsdk/node_modules not installed (npm ci --prefix examples/agentsdk)")
	}
	for _, tc := range []struct{ name, line, version string }{
		{"conversations-3.0.1", "3", "3.0.1"},
		{"conversations-2.x", "2", "2.5.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := emulatortest.Run(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "agent.js")
			cmd.Env = append(os.Environ(), "FLEXEMU_URL="+emu.URL(), "CONVERSATIONS="+tc.line, "IDENTITY=alice")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, runErr := cmd.Output()
			var got summary
			if err := json.Unmarshal(lastLine(out), &got); err != nil {
				t.Fatalf("node agent.js (%v): no JSON summary: %v\nstdout: %s\nstderr: %s", runErr, err, out, tail(stderr.String(), 4000))
			}
			if !got.OK {
				t.Errorf("the %s journey failed at step %q (last passed: %q)%s", tc.name, got.FailedStep, got.LastStep, diagnose(got))
				if got.Error != "" {
					t.Errorf("agent.js: %s", got.Error)
				}
				for _, e := range got.Events {
					t.Logf("event %s", e)
				}
				if testing.Verbose() {
					t.Logf("stderr:\n%s", tail(stderr.String(), 4000))
				}
			} else if runErr != nil {
				t.Errorf("node agent.js exited with %v though the journey passed\nstderr: %s", runErr, tail(stderr.String(), 2000))
			}
			check(t, tc.version, &got)
			t.Logf("twilio-taskrouter %s, @twilio/conversations %s: %s", got.TaskRouter, got.Conversations, strings.Join(got.Steps, " → "))
		})
	}
}

// check asserts on what the steps that passed found.
func check(t *testing.T, version string, got *summary) {
	t.Helper()
	passed := func(step string) bool { return slices.Contains(got.Steps, step) }
	if passed("token") && (got.TaskRouter != "2.1.1" || got.Conversations != version) {
		t.Errorf("SDK versions: twilio-taskrouter %s, @twilio/conversations %s; want 2.1.1 and %s (npm ci in examples/agentsdk)",
			got.TaskRouter, got.Conversations, version)
	}
	if passed("restActivityPushed") && got.RestActivity != "Break" {
		t.Errorf("REST activity change pushed to the SDK as %q, want Break", got.RestActivity)
	}
	if passed("available") && got.Activity != "Available" {
		t.Errorf("setActivity left the worker in %q", got.Activity)
	}
	if passed("available") && !got.AvailablePushed {
		t.Error("the SDK's own activity change was not pushed back (no worker.activity.update)")
	}
	if passed("reservationCreated") {
		if !strings.HasPrefix(got.ReservationSID, "WR") || got.ReservationTask != got.TaskSID || got.ReservationConv != got.ConversationSID ||
			got.ReservationStatus != "pending" {
			t.Errorf("reservationCreated: %s task %s (want %s) conversation %s (want %s) status %s", got.ReservationSID,
				got.ReservationTask, got.TaskSID, got.ReservationConv, got.ConversationSID, got.ReservationStatus)
		}
	}
	if passed("accept") && got.AcceptedStatus != "accepted" {
		t.Errorf("accept() resolved with the reservation %q", got.AcceptedStatus)
	}
	if passed("conversationJoined") && got.Joined != got.ConversationSID {
		t.Errorf("joined %s, want %s", got.Joined, got.ConversationSID)
	}
	if passed("history") && (len(got.History) == 0 || got.History[0] != "hello" || got.HistoryAuthors[0] != got.Customer) {
		t.Errorf("history %q by %q, want it to start with %s's hello", got.History, got.HistoryAuthors, got.Customer)
	}
	if passed("liveMessage") && got.Live.Author != got.Customer {
		t.Errorf("the customer's live message is authored by %q, want %s", got.Live.Author, got.Customer)
	}
	if passed("sendMessage") && got.SentIndex == nil {
		t.Error("sendMessage resolved without an index")
	}
	if passed("sendMessage") && !got.OwnMessageAdded {
		t.Error("the agent's own message never came back as messageAdded (list_item_added)")
	}
	if passed("customerReceived") {
		if got.CustomerReceived.Author != "alice" {
			t.Errorf("the customer got the reply authored by %q, want alice", got.CustomerReceived.Author)
		}
		if !got.SentToChannel {
			t.Error("the agent's SDK message reached the conversation but was not sent to the customer's channel (no message.sent on the timeline)")
		}
	}
	if passed("deliveryReceipts") {
		// One receipt: the customer's WhatsApp participant; the agent is a chat participant.
		if r := got.DeliveryReceipts; len(r) != 1 || !strings.HasPrefix(r[0].SID, "DY") || !strings.HasPrefix(r[0].ParticipantSID, "MB") ||
			r[0].Status != "sent" || r[0].ErrorCode != 0 {
			t.Errorf("detailed delivery receipts of the agent's message = %+v, want one DY… for the customer's participant, sent, error 0", r)
		}
	}
	if passed("wrapup") && got.WrapupTaskStatus != "wrapping" {
		t.Errorf("after wrapUp the task is %q", got.WrapupTaskStatus)
	}
	if passed("complete") && (got.CompletedStatus != "completed" || got.CompletedTaskState != "completed") {
		t.Errorf("after complete: reservation %q, task %q", got.CompletedStatus, got.CompletedTaskState)
	}
	if passed("badTokenRefused") && (got.BadToken.WorkerReady || got.BadToken.ClientConnected || got.BadToken.ClientInitialized) {
		t.Errorf("a badly signed token got in: %+v", got.BadToken)
	}
	if len(got.Uncaught) > 0 {
		t.Errorf("SDK errors nobody caught (a Node app would crash or log them): %v", got.Uncaught)
	}
	if got.OK && !slices.Equal(got.Steps, journeySteps) {
		t.Errorf("steps %v, want %v", got.Steps, journeySteps)
	}
}

// diagnose lists every failed step with its error and the steps skipped for it.
func diagnose(got summary) string {
	var b strings.Builder
	for _, f := range got.Failed {
		fmt.Fprintf(&b, "\n  FAILED %s: %s", f.Step, f.Error)
	}
	for _, s := range got.Skipped {
		fmt.Fprintf(&b, "\n  skipped %s (needs %s)", s.Step, strings.Join(s.Because, ", "))
	}
	fmt.Fprintf(&b, "\n  passed: %s", strings.Join(got.Steps, ", "))
	return b.String()
}

func lastLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
