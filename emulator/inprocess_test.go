package emulator_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// An emulator that never listens serves twilio-go and the control API
// through its handler: no port, no socket.
func TestInProcessClients(t *testing.T) {
	emu, err := emulator.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	if emu.URL() != "" {
		t.Fatalf("the emulator listens at %s; this test needs one that does not", emu.URL())
	}
	tw := twilioclient.ForHandler(emu.Handler(), emulator.DefaultAccountSID, emulator.DefaultAuthToken)
	wss, err := tw.TaskrouterV1.ListWorkspace(&taskrouter.ListWorkspaceParams{})
	if err != nil || len(wss) == 0 {
		t.Fatalf("twilio-go in-process: %v workspaces, err %v", len(wss), err)
	}
	ws := *wss[0].Sid
	task, err := tw.TaskrouterV1.CreateTask(ws, (&taskrouter.CreateTaskParams{}).SetAttributes(`{"type":"support"}`))
	if err != nil {
		t.Fatalf("create task in-process: %v", err)
	}
	if got, err := tw.TaskrouterV1.FetchTask(ws, *task.Sid); err != nil || *got.Sid != *task.Sid {
		t.Fatalf("fetch task in-process: %v %v", got, err)
	}
	resp, err := emu.HTTPClient().Get("http://flexemu" + emulator.ControlPrefix + "/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info emulator.Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("control API in-process: status %d, %v", resp.StatusCode, err)
	}
	if info.AccountSID != emulator.DefaultAccountSID || info.Workspace == nil || info.Workspace.SID != ws {
		t.Fatalf("info in-process = %+v, want the default account and workspace %s", info, ws)
	}
	// Without credentials, Twilio's 401 comes back as it would over a socket.
	r, err := emu.HTTPClient().Get("https://taskrouter.twilio.com/v1/Workspaces")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unauthenticated in-process: status %d, want 401", r.StatusCode)
	}
}
