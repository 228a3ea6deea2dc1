package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	twconv "github.com/twilio/twilio-go/rest/conversations/v1"
	twtr "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// consoleDo calls the console (or control) API with a JSON body and decodes
// the JSON answer into out.
func consoleDo(t *testing.T, emu *emulator.Emulator, method, path string, body any, out any, header ...string) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, emu.URL()+emulator.ControlPrefix+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s answered non-JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode
}

type consoleStateJSON struct {
	Now        string  `json:"now"`
	ClockMode  string  `json:"clock_mode"`
	NextTimer  *string `json:"next_timer"`
	Workspace  *struct{ SID string }
	Activities []struct {
		SID          string `json:"sid"`
		FriendlyName string `json:"friendly_name"`
		Available    bool   `json:"available"`
	} `json:"activities"`
	Queues []struct {
		SID     string `json:"sid"`
		Waiting []struct {
			TaskSID          string `json:"task_sid"`
			AssignmentStatus string `json:"assignment_status"`
			ConversationSID  string `json:"conversation_sid"`
		} `json:"waiting"`
	} `json:"queues"`
	Workers []struct {
		SID          string `json:"sid"`
		FriendlyName string `json:"friendly_name"`
		Identity     string `json:"identity"`
		ActivityName string `json:"activity_name"`
		Reservations []struct {
			SID             string `json:"sid"`
			TaskSID         string `json:"task_sid"`
			Status          string `json:"status"`
			ConversationSID string `json:"conversation_sid"`
			TaskStatus      string `json:"task_status"`
		} `json:"reservations"`
	} `json:"workers"`
	Conversations struct {
		Total    int `json:"total"`
		Page     int `json:"page"`
		PageSize int `json:"page_size"`
		Items    []struct {
			SID             string `json:"sid"`
			CustomerAddress string `json:"customer_address"`
			MessageCount    int    `json:"message_count"`
			LastMessage     *struct {
				Body string `json:"body"`
			} `json:"last_message"`
		} `json:"items"`
	} `json:"conversations"`
	Addresses    []struct{ Address, Type string } `json:"addresses"`
	TimelineLast int64                            `json:"timeline_last"`
}

type consoleDetailJSON struct {
	SID          string `json:"sid"`
	State        string `json:"state"`
	Participants []struct {
		Identity string `json:"identity"`
		Address  string `json:"address"`
	} `json:"participants"`
	Messages []struct {
		Author string `json:"author"`
		Body   string `json:"body"`
	} `json:"messages"`
	Webhooks []struct {
		Target string `json:"target"`
	} `json:"webhooks"`
	Tasks []struct {
		SID              string `json:"sid"`
		AssignmentStatus string `json:"assignment_status"`
		WorkerSID        string `json:"worker_sid"`
	} `json:"tasks"`
	Executions []struct {
		SID      string `json:"sid"`
		FlowName string `json:"flow_name"`
		Status   string `json:"status"`
		Steps    []struct {
			Name           string `json:"name"`
			TransitionedTo string `json:"transitioned_to"`
		} `json:"steps"`
		Context map[string]any `json:"context"`
	} `json:"executions"`
	Chain []struct {
		Seq     int64  `json:"seq"`
		Kind    string `json:"kind"`
		Type    string `json:"type"`
		Product string `json:"product"`
	} `json:"chain"`
}

// timelineTypes lists the types of the timeline's entries after seq.
func timelineTypes(t *testing.T, emu *emulator.Emulator, after int64) []string {
	t.Helper()
	var tl struct {
		Entries []struct {
			Kind, Type, Product string
		} `json:"entries"`
	}
	consoleDo(t, emu, "GET", fmt.Sprintf("/timeline?after=%d", after), nil, &tl)
	var out []string
	for _, e := range tl.Entries {
		out = append(out, e.Kind+" "+e.Product+" "+e.Type)
	}
	return out
}

func hasEntry(types []string, prefix string) bool {
	for _, s := range types {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestConsoleAgentJourney(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	ws := info.Workspace.SID

	tr, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "hello from the console test"})
	if err != nil {
		t.Fatal(err)
	}
	ch := tr.ConversationSID

	var st consoleStateJSON
	if code := consoleDo(t, emu, "GET", "/console/state", nil, &st); code != 200 {
		t.Fatalf("state = %d", code)
	}
	if st.Workspace == nil || st.Workspace.SID != ws || st.ClockMode == "" || st.Now == "" || len(st.Activities) == 0 || len(st.Addresses) == 0 {
		t.Fatalf("state header = %+v", st)
	}
	var taskSID string
	for _, q := range st.Queues {
		for _, wt := range q.Waiting {
			if wt.ConversationSID == ch {
				taskSID = wt.TaskSID
				if wt.AssignmentStatus != "reserved" {
					t.Fatalf("waiting task = %+v", wt)
				}
			}
		}
	}
	if !strings.HasPrefix(taskSID, "WT") {
		t.Fatalf("no waiting task for %s in %+v", ch, st.Queues)
	}
	var aliceSID, resSID string
	for _, w := range st.Workers {
		if w.FriendlyName == "alice" {
			aliceSID = w.SID
			if w.Identity != "alice" {
				t.Fatalf("alice's identity = %q", w.Identity)
			}
			for _, r := range w.Reservations {
				if r.TaskSID == taskSID && r.Status == "pending" && r.ConversationSID == ch && r.TaskStatus == "reserved" {
					resSID = r.SID
				}
			}
		}
	}
	if !strings.HasPrefix(resSID, "WR") {
		t.Fatalf("alice has no pending reservation for %s: %+v", taskSID, st.Workers)
	}
	found := false
	for _, it := range st.Conversations.Items {
		if it.SID == ch {
			found = it.CustomerAddress != "" && it.LastMessage != nil && it.MessageCount > 0
		}
	}
	if !found {
		t.Fatalf("conversation %s missing or incomplete in %+v", ch, st.Conversations)
	}

	// Reads are not news.
	last := st.TimelineLast
	var d consoleDetailJSON
	if code := consoleDo(t, emu, "GET", "/console/conversations/"+ch, nil, &d); code != 200 {
		t.Fatalf("detail = %d", code)
	}
	consoleDo(t, emu, "GET", "/console/state", nil, &st)
	if st.TimelineLast != last {
		t.Fatalf("console reads appended timeline entries: %v", timelineTypes(t, emu, last))
	}
	if d.SID != ch || len(d.Tasks) != 1 || d.Tasks[0].SID != taskSID || len(d.Chain) == 0 || len(d.Messages) == 0 {
		t.Fatalf("detail = %+v", d)
	}
	if len(d.Executions) != 1 || !strings.HasPrefix(d.Executions[0].SID, "FN") || d.Executions[0].FlowName == "" || len(d.Executions[0].Steps) == 0 {
		t.Fatalf("detail executions = %+v", d.Executions)
	}
	if s := d.Executions[0].Steps[0]; s.Name != "Trigger" || s.TransitionedTo != "SendConversationToAgent" {
		t.Fatalf("first step = %+v, want Trigger → SendConversationToAgent", s)
	}
	trig, _ := d.Executions[0].Context["trigger"].(map[string]any)
	if conv, _ := trig["conversation"].(map[string]any); conv == nil || conv["ConversationSid"] != ch {
		t.Fatalf("execution context trigger = %v", trig)
	}

	// Accept.
	var res map[string]any
	if code := consoleDo(t, emu, "POST", "/console/reservations/"+resSID, map[string]string{"status": "accepted"}, &res); code != 200 || res["reservation_status"] != "accepted" {
		t.Fatalf("accept = %d %v", code, res)
	}
	rr, err := client.TaskrouterV1.FetchTaskReservation(ws, taskSID, resSID)
	if err != nil || *rr.ReservationStatus != "accepted" {
		t.Fatalf("REST reservation = %+v, %v", rr, err)
	}
	if !hasEntry(timelineTypes(t, emu, last), "api taskrouter POST /v1/Workspaces/"+ws+"/Tasks/"+taskSID+"/Reservations/"+resSID) {
		t.Fatalf("accept is not on the timeline as a REST call: %v", timelineTypes(t, emu, last))
	}
	parts, err := client.ConversationsV1.ListConversationParticipant(ch, &twconv.ListConversationParticipantParams{})
	if err != nil {
		t.Fatal(err)
	}
	hasAlice := false
	for _, p := range parts {
		hasAlice = hasAlice || (p.Identity != nil && *p.Identity == "alice")
	}
	if !hasAlice {
		t.Fatalf("alice did not join %s after accepting", ch)
	}

	// Reply, through the existing control route.
	if code := consoleDo(t, emu, "POST", "/conversations/"+ch+"/messages", map[string]string{"author": "alice", "body": "hi, alice here"}, nil); code != 201 {
		t.Fatalf("reply = %d", code)
	}
	msgs, err := client.ConversationsV1.ListConversationMessage(ch, &twconv.ListConversationMessageParams{})
	if err != nil || len(msgs) == 0 || *msgs[len(msgs)-1].Body != "hi, alice here" {
		t.Fatalf("REST messages = %d, %v", len(msgs), err)
	}
	consoleDo(t, emu, "GET", "/console/conversations/"+ch, nil, &d)
	if m := d.Messages[len(d.Messages)-1]; m.Author != "alice" || m.Body != "hi, alice here" {
		t.Fatalf("detail's last message = %+v", m)
	}
	if d.Tasks[0].WorkerSID != aliceSID || d.Tasks[0].AssignmentStatus != "assigned" {
		t.Fatalf("detail task after accept = %+v", d.Tasks[0])
	}

	// Wrap up, then complete: as the Flex UI does, through Flex's REST API.
	for _, step := range []string{"wrapping", "completed"} {
		mark := emu.Account().Timeline().Last()
		var task map[string]any
		if code := consoleDo(t, emu, "POST", "/console/tasks/"+taskSID, map[string]string{"status": step}, &task); code != 200 || task["assignment_status"] != step {
			t.Fatalf("%s = %d %v", step, code, task)
		}
		rt, err := client.TaskrouterV1.FetchTask(ws, taskSID)
		if err != nil || *rt.AssignmentStatus != step {
			t.Fatalf("REST task after %s = %+v, %v", step, rt, err)
		}
		if types := timelineTypes(t, emu, mark); !hasEntry(types, "api flex-api POST /v1/Interactions/") {
			t.Fatalf("%s is not on the timeline as a Flex REST call: %v", step, types)
		}
	}
	consoleDo(t, emu, "GET", "/console/state", nil, &st)
	for _, w := range st.Workers {
		for _, r := range w.Reservations {
			if r.SID == resSID {
				t.Fatalf("completed reservation still open: %+v", r)
			}
		}
	}
	consoleDo(t, emu, "GET", "/console/conversations/"+ch, nil, &d)
	if d.Tasks[0].AssignmentStatus != "completed" {
		t.Fatalf("detail task = %+v", d.Tasks[0])
	}
	chained := false
	for _, e := range d.Chain {
		chained = chained || (e.Kind == "api" && e.Product == "flex-api")
	}
	if !chained || len(d.Chain) > 500 {
		t.Fatalf("chain lacks the console's REST calls (%d entries)", len(d.Chain))
	}
}

func TestConsoleWorkerActivityAndReject(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	ws := info.Workspace.SID
	if _, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	var st consoleStateJSON
	consoleDo(t, emu, "GET", "/console/state", nil, &st)
	var alice string
	var resSID string
	for _, w := range st.Workers {
		if w.FriendlyName == "alice" {
			alice = w.SID
			for _, r := range w.Reservations {
				if r.Status == "pending" {
					resSID = r.SID
				}
			}
		}
	}
	var res map[string]any
	if code := consoleDo(t, emu, "POST", "/console/reservations/"+resSID, map[string]string{"status": "rejected"}, &res); code != 200 || res["reservation_status"] != "rejected" {
		t.Fatalf("reject = %d %v", code, res)
	}
	var offline string
	for _, a := range st.Activities {
		if a.FriendlyName == "Offline" {
			offline = a.SID
		}
	}
	var wk map[string]any
	if code := consoleDo(t, emu, "POST", "/console/workers/"+alice, map[string]string{"activity_sid": offline}, &wk); code != 200 || wk["activity_name"] != "Offline" {
		t.Fatalf("activity = %d %v", code, wk)
	}
	w, err := client.TaskrouterV1.FetchWorker(ws, alice)
	if err != nil || *w.ActivitySid != offline {
		t.Fatalf("REST worker = %+v, %v", w, err)
	}
	// A REST error comes back with its status and Twilio's error JSON.
	var e map[string]any
	if code := consoleDo(t, emu, "POST", "/console/workers/"+alice, map[string]string{"activity_sid": "WAnotanactivity"}, &e); code != 400 || e["code"] == nil {
		t.Fatalf("bad activity = %d %v", code, e)
	}
}

func TestConsoleNotFoundAndBadInput(t *testing.T) {
	emu := emulatortest.Run(t)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/console/conversations/CH00000000000000000000000000000000", nil, 404},
		{"POST", "/console/reservations/WR00000000000000000000000000000000", map[string]string{"status": "accepted"}, 404},
		{"POST", "/console/tasks/WT00000000000000000000000000000000", map[string]string{"status": "completed"}, 404},
		{"POST", "/console/workers/WK00000000000000000000000000000000", map[string]string{"activity_sid": "WA00000000000000000000000000000000"}, 404},
		{"POST", "/console/reservations/WR00000000000000000000000000000000", map[string]string{"status": "maybe"}, 400},
		{"POST", "/console/tasks/WT00000000000000000000000000000000", map[string]string{"status": "assigned"}, 400},
		{"GET", "/console/state?page_size=201", nil, 400},
		{"GET", "/console/state?page=-1", nil, 400},
		{"GET", "/console/nothing", nil, 404},
	} {
		var e map[string]any
		if code := consoleDo(t, emu, c.method, c.path, c.body, &e); code != c.want || e["code"] == nil || e["status"] == nil {
			t.Errorf("%s %s = %d %v, want %d with Twilio's error JSON", c.method, c.path, code, e, c.want)
		}
	}
}

func TestConsoleRefusesCrossOrigin(t *testing.T) {
	emu := emulatortest.Run(t)
	var e map[string]any
	if code := consoleDo(t, emu, "GET", "/console/state", nil, &e, "Origin", "http://evil.example"); code != 403 {
		t.Fatalf("cross-origin read = %d %v, want 403", code, e)
	}
	if code := consoleDo(t, emu, "POST", "/console/workers/WK00000000000000000000000000000000", map[string]string{"activity_sid": "WA1"}, &e,
		"Sec-Fetch-Site", "cross-site"); code != 403 {
		t.Fatalf("cross-site action = %d %v, want 403", code, e)
	}
	if code := consoleDo(t, emu, "GET", "/console/state", nil, nil, "Origin", emu.URL()); code != 200 {
		t.Fatalf("same-origin read = %d", code)
	}
}

func TestConsolePaginatesConversations(t *testing.T) {
	emu := emulatortest.Run(t)
	err := emu.Account().Do(func(en *emulator.Engines) error {
		for i := range 250 {
			if _, err := en.Conversations.CreateConversation(conversations.CreateConversationParams{FriendlyName: fmt.Sprintf("c%03d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var st consoleStateJSON
	consoleDo(t, emu, "GET", "/console/state", nil, &st)
	total := st.Conversations.Total
	if total < 250 || st.Conversations.PageSize != 50 || len(st.Conversations.Items) != 50 {
		t.Fatalf("default page: total %d, size %d, %d items", total, st.Conversations.PageSize, len(st.Conversations.Items))
	}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		var p consoleStateJSON
		if code := consoleDo(t, emu, "GET", fmt.Sprintf("/console/state?page=%d&page_size=200", page), nil, &p); code != 200 {
			t.Fatalf("page %d = %d", page, code)
		}
		if p.Conversations.Page != page || p.Conversations.Total != total {
			t.Fatalf("page %d answered page %d of %d", page, p.Conversations.Page, p.Conversations.Total)
		}
		if len(p.Conversations.Items) == 0 {
			break
		}
		for _, it := range p.Conversations.Items {
			if seen[it.SID] {
				t.Fatalf("%s on two pages", it.SID)
			}
			seen[it.SID] = true
		}
	}
	if len(seen) != total {
		t.Fatalf("pages held %d conversations of %d", len(seen), total)
	}
	// Most recently updated first.
	var lastPage consoleStateJSON
	consoleDo(t, emu, "GET", fmt.Sprintf("/console/state?page=%d&page_size=50", (total-1)/50), nil, &lastPage)
	oldest := lastPage.Conversations.Items[len(lastPage.Conversations.Items)-1].SID
	if code := consoleDo(t, emu, "POST", "/clock/advance", map[string]any{"seconds": 1}, nil); code != 200 {
		t.Fatalf("advance = %d", code)
	}
	name := "bumped"
	if err := emu.Account().Do(func(en *emulator.Engines) error {
		_, err := en.Conversations.UpdateConversation(oldest, conversations.UpdateConversationParams{FriendlyName: &name})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	consoleDo(t, emu, "GET", "/console/state?page_size=1", nil, &st)
	if len(st.Conversations.Items) != 1 || st.Conversations.Items[0].SID != oldest {
		t.Fatalf("after updating %s the first item is %+v", oldest, st.Conversations.Items)
	}
}

func TestConsoleEndsAPlainTaskThroughTaskRouter(t *testing.T) {
	emu := emulatortest.Run(t)
	info := emu.Info(emu.URL())
	client := twilioclient.New(emu.URL(), info.AccountSID, info.AuthToken)
	ws := info.Workspace.SID
	wfs, err := client.TaskrouterV1.ListWorkflow(ws, &twtr.ListWorkflowParams{})
	if err != nil || len(wfs) == 0 {
		t.Fatalf("ListWorkflow = %v, %v", wfs, err)
	}
	task, err := client.TaskrouterV1.CreateTask(ws, (&twtr.CreateTaskParams{}).SetWorkflowSid(*wfs[0].Sid).SetAttributes(`{"type":"plain"}`))
	if err != nil {
		t.Fatal(err)
	}
	var st consoleStateJSON
	consoleDo(t, emu, "GET", "/console/state", nil, &st)
	var resSID string
	for _, w := range st.Workers {
		for _, r := range w.Reservations {
			if r.TaskSID == *task.Sid && r.Status == "pending" && r.ConversationSID == "" {
				resSID = r.SID
			}
		}
	}
	if resSID == "" {
		t.Fatalf("no pending reservation for %s: %+v", *task.Sid, st.Workers)
	}
	if code := consoleDo(t, emu, "POST", "/console/reservations/"+resSID, map[string]string{"status": "accepted"}, nil); code != 200 {
		t.Fatalf("accept = %d", code)
	}
	for _, step := range []string{"wrapping", "completed"} {
		mark := emu.Account().Timeline().Last()
		var out map[string]any
		if code := consoleDo(t, emu, "POST", "/console/tasks/"+*task.Sid, map[string]string{"status": step}, &out); code != 200 || out["assignment_status"] != step {
			t.Fatalf("%s = %d %v", step, code, out)
		}
		rt, err := client.TaskrouterV1.FetchTask(ws, *task.Sid)
		if err != nil || *rt.AssignmentStatus != step {
			t.Fatalf("REST task after %s = %+v, %v", step, rt, err)
		}
		if types := timelineTypes(t, emu, mark); !hasEntry(types, "api taskrouter POST /v1/Workspaces/"+ws+"/Tasks/"+*task.Sid) {
			t.Fatalf("%s is not on the timeline as a TaskRouter REST call: %v", step, types)
		}
	}
	// Completing twice is TaskRouter's error, relayed with its status.
	var e map[string]any
	if code := consoleDo(t, emu, "POST", "/console/tasks/"+*task.Sid, map[string]string{"status": "completed"}, &e); code < 400 || e["code"] == nil {
		t.Fatalf("completing again = %d %v", code, e)
	}
}

// TestConsoleAtScale renders the views over 1,000 conversations and a
// timeline of over 10,000 entries, and logs how long they take.
func TestConsoleAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	emu := emulatortest.Run(t)
	var first string
	err := emu.Account().Do(func(en *emulator.Engines) error {
		for i := range 1000 {
			c, err := en.Conversations.CreateConversation(conversations.CreateConversationParams{FriendlyName: fmt.Sprintf("c%04d", i)})
			if err != nil {
				return err
			}
			if i == 0 {
				first = c.SID
			}
			for j := range 10 {
				if _, err := en.Conversations.AddMessage(c.SID, conversations.CreateMessageParams{Author: "x", Body: fmt.Sprint(j)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := emu.Account().Timeline().Len(); n < 10000 {
		t.Fatalf("timeline has %d entries, want 10,000 or more", n)
	}
	start := time.Now()
	var st consoleStateJSON
	if code := consoleDo(t, emu, "GET", "/console/state?page=19&page_size=50", nil, &st); code != 200 || len(st.Conversations.Items) != 50 {
		t.Fatalf("state = %d, %d items", code, len(st.Conversations.Items))
	}
	stateTook := time.Since(start)
	start = time.Now()
	var d consoleDetailJSON
	if code := consoleDo(t, emu, "GET", "/console/conversations/"+first, nil, &d); code != 200 || len(d.Messages) != 10 || len(d.Chain) == 0 || len(d.Chain) > 500 {
		t.Fatalf("detail = %d, %d messages, %d chain entries", code, len(d.Messages), len(d.Chain))
	}
	detailTook := time.Since(start)
	t.Logf("state %v, detail %v over %d timeline entries", stateTook, detailTook, emu.Account().Timeline().Len())
	if stateTook > 2*time.Second || detailTook > 2*time.Second {
		t.Fatalf("console reads too slow: state %v, detail %v", stateTook, detailTook)
	}
}
