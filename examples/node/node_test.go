// Package node_test drives flexemu with the real twilio-node client through
// examples/node/flexemu.js. .ci/run installs the npm dependencies and sets
// FLEXEMU_REQUIRE_NODE=1, so in CI this test runs rather than skips.
package node_test

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"testing"

	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/twilio"
)

func TestTwilioNodeAgainstEmulator(t *testing.T) {
	node, err := exec.LookPath("node")
	_, modErr := os.Stat("node_modules/twilio/package.json")
	if err != nil || modErr != nil {
		if os.Getenv("FLEXEMU_REQUIRE_NODE") == "1" {
			t.Fatalf("node (%v) or examples/node/node_modules (%v) missing; run npm ci in examples/node", err, modErr)
		}
		t.Skip("node or examples/node/node_modules not installed (npm ci --prefix examples/node)")
	}
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	sig := twilio.Signature(info.AuthToken, "https://example.com/hook?x=1", url.Values{
		"EventType": {"onMessageAdded"}, "Body": {"hi"}, "State": {"active"}, "StateTo": {"closed"}})

	cmd := exec.Command(node, "smoke.js")
	cmd.Env = append(os.Environ(), "FLEXEMU_URL="+emu.URL(), "FLEXEMU_ACCOUNT_SID="+info.AccountSID,
		"FLEXEMU_AUTH_TOKEN="+info.AuthToken, "FLEXEMU_SIGNATURE="+sig)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node smoke.js: %v\n%s", err, out)
	}
	var got struct {
		Workspace              string   `json:"workspace"`
		WorkerSID              string   `json:"workerSid"`
		Tasks                  int      `json:"tasks"`
		Queue                  string   `json:"queue"`
		AttributesConversation bool     `json:"attributesConversation"`
		Reservation            string   `json:"reservation"`
		Worker                 string   `json:"worker"`
		Participants           []string `json:"participants"`
		Flows                  []string `json:"flows"`
		NotFound               struct {
			Status int `json:"status"`
			Code   int `json:"code"`
		} `json:"notFound"`
		SignatureValid bool `json:"signatureValid"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("smoke.js output %q: %v", out, err)
	}
	if got.Workspace != "Flex Task Assignment" || len(got.WorkerSID) != 34 || got.Tasks != 1 || got.Queue != "Everyone" ||
		!got.AttributesConversation || got.Reservation != "accepted" {
		t.Errorf("TaskRouter through twilio-node: %+v", got)
	}
	// alice has been idle longest, so she got the reservation and, on accept, joined the conversation.
	if got.Worker != "alice" || !reflect.DeepEqual(got.Participants, []string{"alice", "whatsapp:+15558675310"}) {
		t.Errorf("accept: worker %q, participants %v", got.Worker, got.Participants)
	}
	if !reflect.DeepEqual(got.Flows, []string{"Messaging Flow"}) {
		t.Errorf("Studio flows: %v", got.Flows)
	}
	if got.NotFound.Status != 404 || got.NotFound.Code != 20404 {
		t.Errorf("unknown task error through twilio-node: %+v", got.NotFound)
	}
	if !got.SignatureValid {
		t.Error("twilio-node's validateRequest rejects flexemu's X-Twilio-Signature")
	}
}
