package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/flexemu/flexemu/emulator/webhook"
	twclient "github.com/twilio/twilio-go/client"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// TestFault20429OnTaskCreation is the case through twilio-go: the
// first task creation gets Twilio's 429 with code 20429, the retry creates
// the task, and the timeline shows the fault under the refused call's cause.
func TestFault20429OnTaskCreation(t *testing.T) {
	emu := emulatortest.Run(t)
	ctx := context.Background()
	rc := remote.New(emu.URL())
	f, err := rc.AddFault(ctx, controlapi.FaultSpec{Method: "POST", Path: "https://taskrouter.twilio.com/v1/Workspaces/*/Tasks",
		Code: 20429, Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID == "" || f.Status != 429 || f.Product != "taskrouter" || f.Remaining == nil || *f.Remaining != 1 {
		t.Fatalf("declared fault = %+v", f)
	}
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	params := (&taskrouter.CreateTaskParams{}).SetWorkflowSid("WW0a1b2c3d4e5f60718293a4b5c6d7e8f9").
		SetTaskChannel("chat").SetAttributes(`{"name":"retry me"}`)
	_, err = client.TaskrouterV1.CreateTask(info.Workspace.SID, params)
	var te *twclient.TwilioRestError
	if !asRestError(err, &te) || te.Status != 429 || te.Code != 20429 || te.Message != "Too Many Requests" {
		t.Fatalf("first CreateTask error = %v, want Twilio's 429 with code 20429", err)
	}
	if tasks, _ := client.TaskrouterV1.ListTask(info.Workspace.SID, nil); len(tasks) != 0 {
		t.Fatalf("the refused call created %d tasks", len(tasks))
	}
	task, err := client.TaskrouterV1.CreateTask(info.Workspace.SID, params)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if *task.AssignmentStatus != "reserved" {
		t.Errorf("retried task is %s, want reserved (alice is available)", *task.AssignmentStatus)
	}
	faults, err := rc.Faults(ctx)
	if err != nil || len(faults) != 1 || faults[0].Hits != 1 || *faults[0].Remaining != 0 {
		t.Fatalf("faults after the retry = %+v, %v", faults, err)
	}
	entries, _ := rc.Timeline(ctx, 0)
	var injected *timeline.Entry
	for i := range entries {
		if entries[i].Type == controlapi.FaultInjected {
			injected = &entries[i]
		}
	}
	if injected == nil || injected.Kind != controlapi.KindFault || injected.Refs["code"] != "20429" ||
		injected.Refs["method"] != "POST" || injected.Refs["fault_id"] != f.ID || injected.Product != "taskrouter" {
		t.Fatalf("timeline fault entry = %+v", injected)
	}
	var refused bool
	for _, e := range entries {
		if e.Kind == timeline.KindAPI && e.Cause == injected.Cause && strings.HasSuffix(e.Summary, "Too Many Requests") {
			refused = true
		}
	}
	if !refused {
		t.Errorf("no API entry answering 429 under the fault's cause %d", injected.Cause)
	}
}

// TestFaultDelayIsReal delays a call by a real 150 ms and then serves it.
func TestFaultDelayIsReal(t *testing.T) {
	emu := emulatortest.Run(t)
	if _, err := remote.New(emu.URL()).AddFault(context.Background(), controlapi.FaultSpec{Method: "GET",
		Path: "/taskrouter/v1/Workspaces/*", Delay: "150ms"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	status, body := do(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces/"+emu.Info(emu.URL()).Workspace.SID, nil, true, "")
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("the delayed call took %v", el)
	}
	if status != 200 || body["friendly_name"] != "Flex Task Assignment" {
		t.Errorf("delayed call answered %d %v", status, body)
	}
}

// TestFaultControlAPI checks the control routes: validation as Twilio's
// 400, listing, removal, clearing, the account-scoped route and Reset.
func TestFaultControlAPI(t *testing.T) {
	emu := emulatortest.Run(t)
	base := emu.URL() + "/emulator/v1"
	post := func(ct, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/faults", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	for _, tc := range []struct{ ct, body, want string }{
		{"application/x-www-form-urlencoded", "path=/v1/x&staus=500", "Invalid staus: unknown parameter"},
		{"application/x-www-form-urlencoded", "path=/v1/x&status=lots", "not a whole number"},
		{"application/json", `{"path":"/v1/x","staus":500}`, "unknown field"},
		{"application/json", `{"url":"http://h/*","mode":"drop"}`, "not fail, timeout or slow"},
	} {
		status, m := post(tc.ct, tc.body)
		if status != 400 || m["code"] != float64(20001) || !strings.Contains(m["message"].(string), tc.want) {
			t.Errorf("%s: %d %v, want 400 20001 with %q", tc.body, status, m, tc.want)
		}
	}
	status, m := post("application/x-www-form-urlencoded", "method=GET&path=/v1/Workspaces&status=503&times=2")
	if status != 201 || m["code"] != float64(20503) || m["remaining"] != float64(2) || m["kind"] != "route" {
		t.Fatalf("form declaration: %d %v", status, m)
	}
	id := m["id"].(string)
	if s, _ := do(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces", nil, true, ""); s != 503 {
		t.Errorf("faulted call answered %d, want 503", s)
	}
	if s, _ := do(t, "DELETE", base+"/faults/"+id, nil, false, ""); s != 204 {
		t.Errorf("DELETE fault: %d", s)
	}
	if s, m := do(t, "DELETE", base+"/faults/"+id, nil, false, ""); s != 404 || m["code"] != float64(20404) {
		t.Errorf("DELETE it again: %d %v", s, m)
	}
	if s, _ := do(t, "GET", emu.URL()+"/taskrouter/v1/Workspaces", nil, true, ""); s != 200 {
		t.Errorf("after removal the call answered %d", s)
	}
	// The account-scoped route acts on the same (primary) account.
	scoped := base + "/accounts/" + emulator.DefaultAccountSID + "/faults"
	if s, m := do(t, "POST", scoped, url.Values{"url": {"http://localhost:1/*"}, "mode": {"timeout"}}, false, ""); s != 201 || m["kind"] != "webhook" {
		t.Fatalf("account-scoped declaration: %d %v", s, m)
	}
	if s, m := do(t, "GET", base+"/faults", nil, false, ""); s != 200 || len(m["faults"].([]any)) != 1 {
		t.Errorf("list: %d %v", s, m)
	}
	if err := remote.New(emu.URL()).Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, m := do(t, "GET", scoped, nil, false, ""); s != 200 || len(m["faults"].([]any)) != 0 {
		t.Errorf("Reset kept faults the fixture does not declare: %v", m)
	}
	_, _ = remote.New(emu.URL()).AddFault(context.Background(), controlapi.FaultSpec{Path: "/v1/x", Status: 500})
	if s, m := do(t, "DELETE", base+"/faults", nil, false, ""); s != 200 || m["removed"] != float64(1) {
		t.Errorf("clear: %d %v", s, m)
	}
	if s, m := do(t, "POST", base+"/accounts/AC99999999999999999999999999999999/faults", url.Values{"path": {"/v1/x"}}, false, ""); s != 404 || m["code"] != float64(20404) {
		t.Errorf("unknown account: %d %v", s, m)
	}
}

// TestWebhookTimeoutFault times out a pre-event without sending it: the
// receiver sees nothing, the delivery is a timeout, and the timeline shows
// the fault before the delivery, under the same cause.
func TestWebhookTimeoutFault(t *testing.T) {
	emu := emulatortest.Run(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	a := emu.Account()
	if _, err := a.AddFault(emulator.FaultSpec{URL: srv.URL + "/pre*", Mode: "timeout", Times: 1}); err != nil {
		t.Fatal(err)
	}
	req := webhook.Request{URL: srv.URL + "/pre-event", Event: "onMessageAdd", Product: "conversations", Cause: 4242}
	start := time.Now()
	del := a.Webhooks().Do(context.Background(), req)
	if el := time.Since(start); el > time.Second {
		t.Errorf("the injected timeout took %v", el)
	}
	if del.Status != 0 || !strings.HasPrefix(del.Error, "no answer within 5s: Post ") || hits.Load() != 0 {
		t.Fatalf("delivery %+v, receiver hits %d", del, hits.Load())
	}
	if del2 := a.Webhooks().Do(context.Background(), req); !del2.OK() || hits.Load() != 1 {
		t.Errorf("the second delivery (fault spent): %+v, receiver hits %d", del2, hits.Load())
	}
	var kinds []string
	for _, e := range a.Timeline().Since(0) {
		if e.Cause == 4242 {
			kinds = append(kinds, string(e.Kind)+":"+e.Type+":"+e.Refs["mode"])
		}
	}
	if got := strings.Join(kinds, " "); got != "fault:fault.injected:timeout webhook:onMessageAdd: webhook:onMessageAdd:" {
		t.Errorf("timeline under the cause: %s", got)
	}
}

// TestFaultsBelongToOneAccount declares a fault on each of two accounts in
// one emulator: each strikes only its own account's calls.
func TestFaultsBelongToOneAccount(t *testing.T) {
	emu := emulatortest.Run(t)
	other, err := emu.CreateAccount(emulator.AccountParams{})
	if err != nil {
		t.Fatal(err)
	}
	call := func(sid, token string) int {
		req, _ := http.NewRequest("GET", emu.URL()+"/taskrouter/v1/Workspaces", nil)
		req.SetBasicAuth(sid, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	base := emu.URL() + "/emulator/v1"
	if s, m := do(t, "POST", base+"/faults", url.Values{"path": {"/taskrouter/v1/Workspaces"}, "status": {"503"}}, false, ""); s != 201 {
		t.Fatalf("primary fault: %d %v", s, m)
	}
	if s, m := do(t, "POST", base+"/accounts/"+other.SID+"/faults", url.Values{"path": {"/taskrouter/v1/Workspaces"}, "status": {"429"}}, false, ""); s != 201 {
		t.Fatalf("other account's fault: %d %v", s, m)
	}
	if got := call(emulator.DefaultAccountSID, emulator.DefaultAuthToken); got != 503 {
		t.Errorf("primary account's call answered %d, want its own fault's 503", got)
	}
	if got := call(other.SID, other.AuthToken); got != 429 {
		t.Errorf("other account's call answered %d, want its own fault's 429", got)
	}
	if err := other.Reset(); err != nil {
		t.Fatal(err)
	}
	if got := call(other.SID, other.AuthToken); got != 200 {
		t.Errorf("after its Reset the other account's call answered %d", got)
	}
	if got := call(emulator.DefaultAccountSID, emulator.DefaultAuthToken); got != 503 {
		t.Errorf("the other account's Reset touched the primary's fault: %d", got)
	}
}

// TestAssignmentCallbackTimeoutFallsBack times out a workflow's assignment
// callback: TaskRouter's own rule for a callback that gets no answer (try
// the fallback URL) follows, the fallback accepts, and the fault is in the
// reservation's chain.
func TestAssignmentCallbackTimeoutFallsBack(t *testing.T) {
	emu := emulatortest.Run(t)
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"instruction": "accept"}`))
	}))
	defer srv.Close()
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	wf, err := client.TaskrouterV1.CreateWorkflow(info.Workspace.SID, (&taskrouter.CreateWorkflowParams{}).
		SetFriendlyName("with callbacks").SetAssignmentCallbackUrl(srv.URL+"/assign").
		SetFallbackAssignmentCallbackUrl(srv.URL+"/fallback").
		SetConfiguration(`{"task_routing":{"filters":[],"default_filter":{"queue":"WQ0a1b2c3d4e5f60718293a4b5c6d7e8f9"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Account().AddFault(emulator.FaultSpec{URL: srv.URL + "/assign", Mode: "timeout"}); err != nil {
		t.Fatal(err)
	}
	task, err := client.TaskrouterV1.CreateTask(info.Workspace.SID, (&taskrouter.CreateTaskParams{}).
		SetWorkflowSid(*wf.Sid).SetTaskChannel("chat").SetAttributes(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	emu.Account().Settle(context.Background(), emulator.WebhookWait)
	mu.Lock()
	got := strings.Join(paths, ",")
	mu.Unlock()
	if got != "/fallback" {
		t.Errorf("the receiver got %q, want only the fallback callback", got)
	}
	res, err := client.TaskrouterV1.ListTaskReservation(info.Workspace.SID, *task.Sid, nil)
	if err != nil || len(res) != 1 || *res[0].ReservationStatus != "accepted" {
		t.Fatalf("reservations = %+v, %v; want one accepted by the fallback's instruction", res, err)
	}
	var order []string
	for _, e := range emu.Account().Timeline().Since(0) {
		if e.Type == emulator.FaultInjected || e.Type == "assignment_callback.failed" ||
			(e.Kind == timeline.KindWebhook && strings.Contains(e.Type, "assignment_callback")) {
			order = append(order, string(e.Kind)+":"+e.Type)
		}
	}
	want := "fault:fault.injected webhook:assignment_callback state:assignment_callback.failed webhook:fallback_assignment_callback"
	if strings.Join(order, " ") != want {
		t.Errorf("timeline: %s\nwant      %s", strings.Join(order, " "), want)
	}
}
