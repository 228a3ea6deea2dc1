package taskrouter

import (
	"net/http"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	trapi "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// TestTwilioGoEventsAndStatistics decodes Events and statistics with the
// official Go helper library's models.
func TestTwilioGoEventsAndStatistics(t *testing.T) {
	c, e, ids := statsAPI(t)
	acct := e.env.AccountSID
	cl := &client.Client{Credentials: client.NewCredentials(acct, e.env.AuthToken),
		HTTPClient: &http.Client{Transport: twiliotest.Transport(c.srv)}}
	cl.SetAccountSid(acct)
	tr := twilio.NewRestClientWithParams(twilio.ClientParams{Client: cl}).TaskrouterV1
	ws := ids["ws"]

	evs, err := tr.ListEvent(ws, new(trapi.ListEventParams).SetEventType("reservation.accepted").SetTaskSid(ids["task"]))
	if err != nil || len(evs) != 1 {
		t.Fatalf("ListEvent = %d, %v", len(evs), err)
	}
	ev := evs[0]
	data, _ := (*ev.EventData).(map[string]any)
	if *ev.ResourceSid != ids["res"] || *ev.EventDateMs != e.Now().UnixMilli() || data["worker_name"] != "alice" {
		t.Fatalf("event %+v data %v", ev, data)
	}
	if got, err := tr.FetchEvent(ws, *ev.Sid); err != nil || *got.EventType != "reservation.accepted" {
		t.Fatalf("FetchEvent = %+v, %v", got, err)
	}

	cum, err := tr.FetchWorkspaceCumulativeStatistics(ws, new(trapi.FetchWorkspaceCumulativeStatisticsParams).SetMinutes(60))
	if err != nil || cum.TasksCreated != 1 || cum.ReservationsAccepted != 1 || cum.AvgTaskAcceptanceTime != 7 {
		t.Fatalf("workspace cumulative %+v, %v", cum, err)
	}
	rt, err := tr.FetchWorkspaceRealTimeStatistics(ws, nil)
	if err != nil || rt.TotalTasks != 1 || rt.TotalWorkers != 1 {
		t.Fatalf("workspace realtime %+v, %v", rt, err)
	}
	qrt, err := tr.FetchTaskQueueRealTimeStatistics(ws, ids["q"], nil)
	if err != nil || qrt.TotalEligibleWorkers != 1 {
		t.Fatalf("queue realtime %+v, %v", qrt, err)
	}
	if _, err := tr.FetchTaskQueueStatistics(ws, ids["q"], nil); err != nil {
		t.Fatal(err)
	}
	if list, err := tr.ListTaskQueuesStatistics(ws, nil); err != nil || len(list) != 1 {
		t.Fatalf("queues statistics %v, %v", list, err)
	}
	if _, err := tr.FetchWorkflowStatistics(ws, ids["wf"], nil); err != nil {
		t.Fatal(err)
	}
	wk, err := tr.FetchWorkerInstanceStatistics(ws, ids["wk"], nil)
	if err != nil || wk.Cumulative == nil {
		t.Fatalf("worker statistics %+v, %v", wk, err)
	}
	if _, err := tr.FetchWorkerStatistics(ws, nil); err != nil {
		t.Fatal(err)
	}
	if w, err := tr.FetchWorkersRealTimeStatistics(ws, nil); err != nil || w.TotalWorkers != 1 {
		t.Fatalf("workers realtime %+v, %v", w, err)
	}
}
