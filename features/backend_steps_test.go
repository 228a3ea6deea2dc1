package features

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/cucumber/godog"
	"github.com/flexemu/flexemu/examples/backend"
	"github.com/flexemu/flexemu/features/steps"
	conversations "github.com/twilio/twilio-go/rest/conversations/v1"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// backendScenario is features/backend.feature's state: the example backend
// in examples/backend, run the way a Flex customer would deploy theirs. It
// shows how a suite adds its own steps next to the library's, reaching the
// scenario's emulator through steps.Ensure.
type backendScenario struct {
	url    string // the backend's webhook URL
	status int    // what it answered the last forged request
}

// registerBackendSteps is called once per scenario, so each gets its own state.
func registerBackendSteps(sc *godog.ScenarioContext) {
	b := &backendScenario{}
	sc.Step(`^the example backend handles the address "([^"]+)" and sends conversations to workflow "([^"]+)"$`, b.handlesAddress)
	sc.Step(`^the workspace should have (\d+) tasks?$`, b.workspaceHasTasks)
	sc.Step(`^someone posts a forged onMessageAdded to the backend$`, b.forgedPost)
	sc.Step(`^the backend answers (\d+)$`, b.answers)
}

func (b *backendScenario) handlesAddress(ctx context.Context, address, workflow string) error {
	w, err := steps.Ensure(ctx)
	if err != nil {
		return err
	}
	ws, wf, err := w.WorkflowSID(workflow)
	if err != nil {
		return err
	}
	srv := httptest.NewServer(backend.Handler(backend.Config{AuthToken: w.Info.AuthToken,
		WorkspaceSID: ws, WorkflowSID: wf, TaskChannel: "chat", Client: w.Twilio}))
	w.OnClose(srv.Close)
	b.url = srv.URL + "/twilio/conversations"
	sid, err := w.AddressSID(address)
	if err != nil {
		return err
	}
	p := &conversations.UpdateConfigurationAddressParams{}
	p.SetAutoCreationEnabled(true).SetAutoCreationType("webhook").SetAutoCreationWebhookUrl(b.url).
		SetAutoCreationWebhookMethod("POST").SetAutoCreationWebhookFilters([]string{"onMessageAdded"})
	_, err = w.Twilio.ConversationsV1.UpdateConfigurationAddress(sid, p)
	return err
}

func (b *backendScenario) workspaceHasTasks(ctx context.Context, n int) error {
	w, err := steps.Ensure(ctx)
	if err != nil {
		return err
	}
	tasks, err := w.Twilio.TaskrouterV1.ListTask(w.Info.Workspace.SID, &taskrouter.ListTaskParams{})
	if err != nil {
		return err
	}
	if len(tasks) != n {
		return fmt.Errorf("the workspace has %d tasks, want %d", len(tasks), n)
	}
	return nil
}

func (b *backendScenario) forgedPost(ctx context.Context) error {
	form := url.Values{"EventType": {"onMessageAdded"}, "ConversationSid": {"CH00000000000000000000000000000000"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", "Zm9yZ2Vk")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	b.status = resp.StatusCode
	return nil
}

func (b *backendScenario) answers(want int) error {
	if b.status != want {
		return fmt.Errorf("the backend answered %d, want %d", b.status, want)
	}
	return nil
}
