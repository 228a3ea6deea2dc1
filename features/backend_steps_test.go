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

// Steps for features/backend.feature: they run the example backend in
// examples/backend, the way a Flex customer would deploy theirs.
func registerBackendSteps(sc *godog.ScenarioContext) {
	var backendURL string
	var status int
	sc.Step(`^the example backend handles the address "([^"]+)" and sends conversations to workflow "([^"]+)"$`,
		func(ctx context.Context, address, workflow string) error {
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
			backendURL = srv.URL + "/twilio/conversations"
			sid, err := w.AddressSID(address)
			if err != nil {
				return err
			}
			p := &conversations.UpdateConfigurationAddressParams{}
			p.SetAutoCreationEnabled(true).SetAutoCreationType("webhook").SetAutoCreationWebhookUrl(backendURL).
				SetAutoCreationWebhookMethod("POST").SetAutoCreationWebhookFilters([]string{"onMessageAdded"})
			_, err = w.Twilio.ConversationsV1.UpdateConfigurationAddress(sid, p)
			return err
		})
	sc.Step(`^the workspace should have (\d+) tasks?$`, func(ctx context.Context, n int) error {
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
	})
	sc.Step(`^someone posts a forged onMessageAdded to the backend$`, func(ctx context.Context) error {
		form := url.Values{"EventType": {"onMessageAdded"}, "ConversationSid": {"CH00000000000000000000000000000000"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, backendURL, strings.NewReader(form.Encode()))
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
		status = resp.StatusCode
		return nil
	})
	sc.Step(`^the backend answers (\d+)$`, func(want int) error {
		if status != want {
			return fmt.Errorf("the backend answered %d, want %d", status, want)
		}
		return nil
	})
}
