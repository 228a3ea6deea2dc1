package taskrouter

import (
	"net/http"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	trapi "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// TestTwilioGoClient drives the engine with the official Go helper library.
func TestTwilioGoClient(t *testing.T) {
	srv, e := apiServer(t)
	acct := e.env.AccountSID
	c := &client.Client{Credentials: client.NewCredentials(acct, e.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(srv)}}
	c.SetAccountSid(acct)
	tw := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
	tr := tw.TaskrouterV1

	ws, err := tr.CreateWorkspace(new(trapi.CreateWorkspaceParams).SetFriendlyName("Go"))
	if err != nil {
		t.Fatal(err)
	}
	if *ws.Url != "https://taskrouter.twilio.com/v1/Workspaces/"+*ws.Sid {
		t.Fatalf("workspace url %s", *ws.Url)
	}
	acts, err := tr.ListActivity(*ws.Sid, new(trapi.ListActivityParams).SetFriendlyName("Available"))
	if err != nil || len(acts) != 1 {
		t.Fatalf("activities %v %v", acts, err)
	}
	q, err := tr.CreateTaskQueue(*ws.Sid, new(trapi.CreateTaskQueueParams).SetFriendlyName("Everyone").SetTargetWorkers("skill == 'go'"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.CreateWorkflow(*ws.Sid, new(trapi.CreateWorkflowParams).SetFriendlyName("Main").
		SetConfiguration(`{"task_routing":{"default_filter":{"queue":"`+*q.Sid+`"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	task, err := tr.CreateTask(*ws.Sid, new(trapi.CreateTaskParams).SetAttributes(`{"type":"go"}`))
	if err != nil || *task.AssignmentStatus != "pending" {
		t.Fatalf("task %+v %v", task, err)
	}

	w, err := tr.CreateWorker(*ws.Sid, new(trapi.CreateWorkerParams).SetFriendlyName("gopher").
		SetAttributes(`{"skill":"go"}`).SetActivitySid(*acts[0].Sid))
	if err != nil {
		t.Fatal(err)
	}
	if !*w.Available || *w.ActivityName != "Available" {
		t.Fatalf("worker %+v", w)
	}

	tasks, err := tr.ListTask(*ws.Sid, new(trapi.ListTaskParams).SetAssignmentStatus([]string{"reserved"}))
	if err != nil || len(tasks) != 1 || *tasks[0].Sid != *task.Sid || *tasks[0].TaskQueueFriendlyName != "Everyone" {
		t.Fatalf("tasks %v %v", tasks, err)
	}
	rs, err := tr.ListWorkerReservation(*ws.Sid, *w.Sid, new(trapi.ListWorkerReservationParams).SetReservationStatus("pending"))
	if err != nil || len(rs) != 1 {
		t.Fatalf("worker reservations %v %v", rs, err)
	}
	r, err := tr.FetchTaskReservation(*ws.Sid, *task.Sid, *rs[0].Sid)
	if err != nil || *r.WorkerName != "gopher" || *r.ReservationStatus != "pending" {
		t.Fatalf("reservation %+v %v", r, err)
	}
	r, err = tr.UpdateTaskReservation(*ws.Sid, *task.Sid, *r.Sid, new(trapi.UpdateTaskReservationParams).SetReservationStatus("accepted"))
	if err != nil || *r.ReservationStatus != "accepted" {
		t.Fatalf("accept %+v %v", r, err)
	}
	got, err := tr.FetchTask(*ws.Sid, *task.Sid)
	if err != nil || *got.AssignmentStatus != "assigned" {
		t.Fatalf("task after accept %+v %v", got, err)
	}

	// Errors surface as twilio-go's RestError with Twilio's code.
	_, err = tr.UpdateTaskReservation(*ws.Sid, *task.Sid, *r.Sid, new(trapi.UpdateTaskReservationParams).SetReservationStatus("accepted"))
	if re, ok := err.(*client.TwilioRestError); !ok || re.Code != 20001 || re.Status != 400 {
		t.Fatalf("second accept error %#v", err)
	}
	_, err = tr.FetchWorker(*ws.Sid, "WK00000000000000000000000000000000")
	if re, ok := err.(*client.TwilioRestError); !ok || re.Code != 20404 {
		t.Fatalf("missing worker error %#v", err)
	}
}
