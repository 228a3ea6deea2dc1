package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	twclient "github.com/twilio/twilio-go/client"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// TestTwilioGoDrivesTaskRouter is the SDK round trip through the
// real server: create a worker, list tasks, fetch a reservation, accept it.
func TestTwilioGoDrivesTaskRouter(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	ws := info.Workspace.SID

	acts, err := client.TaskrouterV1.ListActivity(ws, (&taskrouter.ListActivityParams{}).SetFriendlyName("Available"))
	if err != nil || len(acts) != 1 {
		t.Fatalf("ListActivity = %v, %v", acts, err)
	}
	cp := &taskrouter.CreateWorkerParams{}
	cp.SetFriendlyName("bob").SetActivitySid(*acts[0].Sid).SetAttributes(`{"contact_uri":"client:bob"}`)
	bob, err := client.TaskrouterV1.CreateWorker(ws, cp)
	if err != nil {
		t.Fatalf("CreateWorker: %v", err)
	}
	if !strings.HasPrefix(*bob.Sid, "WK") || *bob.ActivityName != "Available" || !*bob.Available {
		t.Fatalf("bob = %+v", bob)
	}

	tr, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := client.TaskrouterV1.ListTask(ws, &taskrouter.ListTaskParams{})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("ListTask = %d tasks, %v", len(tasks), err)
	}
	task := tasks[0]
	if *task.AssignmentStatus != "reserved" || *task.WorkflowFriendlyName != "Assign to Anyone" || *task.TaskQueueFriendlyName != "Everyone" {
		t.Fatalf("task = %+v", task)
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(*task.Attributes), &attrs); err != nil || attrs["conversationSid"] != tr.ConversationSID {
		t.Fatalf("task attributes %s lack conversationSid %s", *task.Attributes, tr.ConversationSID)
	}

	res, err := client.TaskrouterV1.ListTaskReservation(ws, *task.Sid, &taskrouter.ListTaskReservationParams{})
	if err != nil || len(res) != 1 {
		t.Fatalf("ListTaskReservation = %v, %v", res, err)
	}
	fetched, err := client.TaskrouterV1.FetchTaskReservation(ws, *task.Sid, *res[0].Sid)
	if err != nil || *fetched.ReservationStatus != "pending" {
		t.Fatalf("FetchTaskReservation = %+v, %v", fetched, err)
	}
	accepted, err := client.TaskrouterV1.UpdateTaskReservation(ws, *task.Sid, *fetched.Sid,
		(&taskrouter.UpdateTaskReservationParams{}).SetReservationStatus("accepted"))
	if err != nil || *accepted.ReservationStatus != "accepted" {
		t.Fatalf("accept = %+v, %v", accepted, err)
	}
	after, err := client.TaskrouterV1.FetchTask(ws, *task.Sid)
	if err != nil || *after.AssignmentStatus != "assigned" {
		t.Fatalf("task after accept = %+v, %v", after, err)
	}
	// Accepting twice is refused the way Twilio refuses it.
	_, err = client.TaskrouterV1.UpdateTaskReservation(ws, *task.Sid, *fetched.Sid,
		(&taskrouter.UpdateTaskReservationParams{}).SetReservationStatus("accepted"))
	var te *twclient.TwilioRestError
	if !asRestError(err, &te) || te.Status != 400 || te.Code != 20001 {
		t.Fatalf("second accept error = %v", err)
	}
	// An unknown SID is Twilio's 404.
	_, err = client.TaskrouterV1.FetchTask(ws, "WT00000000000000000000000000000000")
	if !asRestError(err, &te) || te.Status != 404 || te.Code != 20404 {
		t.Fatalf("unknown task error = %v", err)
	}
}

func asRestError(err error, out **twclient.TwilioRestError) bool {
	te, ok := err.(*twclient.TwilioRestError)
	if ok {
		*out = te
	}
	return ok
}

func do(t *testing.T, method, u string, body url.Values, auth bool, host string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth {
		req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s answered non-JSON %q", method, u, raw)
		}
	}
	return resp.StatusCode, m
}

func TestWireContract(t *testing.T) {
	emu := emulatortest.Run(t)
	base := emu.URL()
	cases := []struct {
		name       string
		method     string
		url        string
		body       url.Values
		auth       bool
		host       string
		wantStatus int
		wantCode   float64
		wantInBody string
	}{
		{"prefix path", "GET", base + "/taskrouter/v1/Workspaces", nil, true, "", 200, 0, `"key":"workspaces"`},
		{"real host, plain path", "GET", base + "/v1/Workspaces", nil, true, "taskrouter.twilio.com", 200, 0, `https://taskrouter.twilio.com/v1/Workspaces`},
		{"studio on its host", "GET", base + "/v2/Flows", nil, true, "studio.twilio.com", 200, 0, `"Messaging Flow"`},
		{"conversations addresses", "GET", base + "/conversations/v1/Configuration/Addresses", nil, true, "", 200, 0, `whatsapp:+14155238886`},
		{"missing auth", "GET", base + "/taskrouter/v1/Workspaces", nil, false, "", 401, 20003, ""},
		{"unknown SID", "GET", base + "/taskrouter/v1/Workspaces/WS00000000000000000000000000000000", nil, true, "", 404, 20404, ""},
		{"unknown path", "GET", base + "/taskrouter/v1/Nope", nil, true, "", 404, 20404, ""},
		{"unknown product", "GET", base + "/voice/v1/Calls", nil, true, "", 404, 20404, ""},
		{"bad parameter named", "POST", base + "/taskrouter/v1/Workspaces", url.Values{"FriendlyName": {""}}, true, "", 400, 20001, "FriendlyName"},
		{"bad JSON attributes", "POST", base + "/conversations/v1/Conversations", url.Values{"Attributes": {"{nope"}}, true, "", 400, 20001, "Attributes"},
		{"interaction with bad Channel", "POST", base + "/flex-api/v1/Interactions", url.Values{"Channel": {"[]"}, "Routing": {"{}"}}, true, "", 400, 20001, "Channel"},
		{"control health", "GET", base + "/emulator/v1/health", nil, false, "", 200, 0, `"ok"`},
		{"control unknown", "GET", base + "/emulator/v1/nope", nil, false, "", 404, 20404, ""},
		{"control inbound without body", "POST", base + "/emulator/v1/inbound", url.Values{"from": {"+15550001111"}}, false, "", 400, 20001, "body"},
		{"control inbound to unknown address", "POST", base + "/emulator/v1/inbound", url.Values{"body": {"hi"}, "to": {"+19999999999"}}, false, "", 404, 20404, ""},
		{"control advance nonsense", "POST", base + "/emulator/v1/clock/advance", url.Values{"duration": {"soon"}}, false, "", 400, 20001, "duration"},
		{"control advance overflowing seconds", "POST", base + "/emulator/v1/clock/advance", url.Values{"seconds": {"9223372036854775807"}}, false, "", 400, 20001, "seconds"},
		{"control advance NaN seconds", "POST", base + "/emulator/v1/clock/advance", url.Values{"seconds": {"NaN"}}, false, "", 400, 20001, "seconds"},
		{"control advance beyond 10 years", "POST", base + "/emulator/v1/clock/advance", url.Values{"duration": {"P3651D"}}, false, "", 400, 20001, "duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := do(t, c.method, c.url, c.body, c.auth, c.host)
			raw, _ := json.Marshal(body)
			if status != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, c.wantStatus, raw)
			}
			if c.wantCode != 0 {
				if body["code"] != c.wantCode || body["status"] != float64(c.wantStatus) || body["message"] == "" ||
					!strings.HasPrefix(body["more_info"].(string), "https://www.twilio.com/docs/errors/") {
					t.Fatalf("error body %s, want Twilio's error JSON with code %v", raw, c.wantCode)
				}
			}
			if c.wantInBody != "" && !strings.Contains(string(raw), c.wantInBody) {
				t.Fatalf("body %s lacks %q", raw, c.wantInBody)
			}
		})
	}
}

func TestControlAPIClockTimelineReset(t *testing.T) {
	emu := emulatortest.Run(t)
	c := remote.New(emu.URL())
	ctx := context.Background()
	start := emu.Account().Now()
	if _, err := c.Inbound(ctx, emulator.InboundParams{Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	entries, err := c.Timeline(ctx, 0)
	if err != nil || len(entries) == 0 {
		t.Fatalf("timeline = %d entries, %v", len(entries), err)
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq <= entries[i-1].Seq {
			t.Fatalf("timeline out of order at %d", i)
		}
	}
	if err := c.Advance(ctx, 121*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := emu.Account().Now().Sub(start); got != 121*time.Second {
		t.Fatalf("clock moved %v, want 121s", got)
	}
	after, _ := c.Timeline(ctx, entries[len(entries)-1].Seq)
	timedOut := false
	for _, e := range after {
		timedOut = timedOut || e.Type == "reservation.timeout"
	}
	if !timedOut {
		t.Fatalf("advancing past task_reservation_timeout recorded no reservation.timeout: %+v", after)
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	tr, err := c.Inbound(ctx, emulator.InboundParams{Body: "hello again"})
	if err != nil || !tr.CreatedConversation {
		t.Fatalf("after reset the same customer should start a new conversation: %+v, %v", tr, err)
	}
	reserved := false
	for _, e := range tr.Entries {
		reserved = reserved || e.Type == "reservation.created"
	}
	if !reserved {
		t.Fatal("after reset alice (back to Available) should get a reservation")
	}
}

func TestConcurrentInboundIsSafe(t *testing.T) {
	emu := emulatortest.Run(t)
	acct := emu.Account()
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func(i int) {
			_, err := acct.Inbound(context.Background(), emulator.InboundParams{
				From: "whatsapp:+1555000" + string(rune('0'+i/10)) + string(rune('0'+i%10)), Body: "hi"})
			errs <- err
		}(i)
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	_ = acct.Do(func(e *emulator.Engines) error {
		tasks, err := e.TaskRouter.Tasks(e.Setup.Workspace.SID)
		n = len(tasks)
		return err
	})
	if n != 20 {
		t.Fatalf("%d tasks after 20 concurrent conversations, want 20", n)
	}
}
