// Package execsample is what a team's own tests look like under
// `emulator exec -- go test ./...`: twilio-go pointed at FLEXEMU_URL with
// the credentials exec exports. cmd/emulator/exec_test.go runs it; under
// testdata, `go test ./...` leaves it out. FLEXEMU_SAMPLE_FAIL=1 makes it
// fail on purpose, to check exec passes go test's status on.
package execsample

import (
	"os"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilioclient"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

func TestCreateThenReadBack(t *testing.T) {
	url := os.Getenv("FLEXEMU_URL")
	if url == "" {
		t.Fatal("FLEXEMU_URL is not set: run under emulator exec")
	}
	c := twilioclient.New(url, os.Getenv("TWILIO_ACCOUNT_SID"), os.Getenv("TWILIO_AUTH_TOKEN"))

	want := "exec sample"
	if os.Getenv("FLEXEMU_SAMPLE_FAIL") == "1" {
		want = "not what was created"
	}
	created, err := c.ConversationsV1.CreateConversation(new(conversations.CreateConversationParams).SetFriendlyName("exec sample"))
	if err != nil {
		t.Fatalf("create conversation: %v", err)
	}
	got, err := c.ConversationsV1.FetchConversation(*created.Sid)
	if err != nil {
		t.Fatalf("fetch conversation %s: %v", *created.Sid, err)
	}
	if name := deref(got.FriendlyName); name != want {
		t.Fatalf("conversation %s friendly name = %q, want %q", *created.Sid, name, want)
	}

	ws := os.Getenv("FLEXEMU_WORKSPACE_SID")
	worker, err := c.TaskrouterV1.CreateWorker(ws, new(taskrouter.CreateWorkerParams).SetFriendlyName("exec-sample-agent"))
	if err != nil {
		t.Fatalf("create worker in %s: %v", ws, err)
	}
	fetched, err := c.TaskrouterV1.FetchWorker(ws, *worker.Sid)
	if err != nil || deref(fetched.FriendlyName) != "exec-sample-agent" {
		t.Fatalf("fetch worker %s: %v", *worker.Sid, err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
