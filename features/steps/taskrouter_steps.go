package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/cucumber/godog"
	taskrouter "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

func registerTaskRouterSteps(sc *godog.ScenarioContext) {
	sc.Step(`^a task should be created in workflow "([^"]+)"$`, func(ctx context.Context, name string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.WorkflowFriendlyName); got != name {
			return fmt.Errorf("task %s is in workflow %q, want %q", *t.Sid, got, name)
		}
		return nil
	})
	sc.Step(`^the task should be in queue "([^"]+)"$`, func(ctx context.Context, name string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.TaskQueueFriendlyName); got != name {
			return fmt.Errorf("task %s is in queue %q, want %q", *t.Sid, got, name)
		}
		return nil
	})
	sc.Step(`^the task should be "([^"]+)"$`, func(ctx context.Context, status string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if got := str(t.AssignmentStatus); got != status {
			return fmt.Errorf("task %s is %q, want %q", *t.Sid, got, status)
		}
		return nil
	})
	sc.Step(`^the task should have the attribute "([^"]+)" set to "([^"]*)"$`, func(ctx context.Context, key, want string) error {
		t, err := lastTask(ctx)
		if err != nil {
			return err
		}
		if t.Attributes == nil {
			return fmt.Errorf("task %s has no attributes", *t.Sid)
		}
		attrs := *t.Attributes
		got, ok := attribute(attrs, key)
		if !ok || got != want {
			return fmt.Errorf("task attribute %s = %q (present %v), want %q; attributes %s", key, got, ok, want, attrs)
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" should have a pending reservation for the task$`, func(ctx context.Context, worker string) error {
		_, err := pendingReservation(ctx, worker)
		return err
	})
	sc.Step(`^worker "([^"]+)" should have no pending reservation$`, func(ctx context.Context, worker string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		p := &taskrouter.ListWorkerReservationParams{}
		p.SetReservationStatus("pending")
		res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
		if err != nil {
			return err
		}
		if len(res) != 0 {
			return fmt.Errorf("worker %s has %d pending reservations, want none", worker, len(res))
		}
		return nil
	})
	sc.Step(`^worker "([^"]+)" (accepts|rejects|completes) the reservation$`, func(ctx context.Context, worker, verb string) error {
		status := map[string]string{"accepts": "accepted", "rejects": "rejected", "completes": "completed"}[verb]
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		var sid string
		if verb == "completes" {
			p := &taskrouter.ListWorkerReservationParams{}
			p.SetReservationStatus("accepted")
			res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
			if err != nil {
				return err
			}
			if len(res) == 0 {
				return fmt.Errorf("worker %s has no accepted reservation to complete", worker)
			}
			sid = *res[0].Sid
		} else {
			r, err := pendingReservation(ctx, worker)
			if err != nil {
				return err
			}
			sid = *r.Sid
		}
		p := &taskrouter.UpdateWorkerReservationParams{}
		p.SetReservationStatus(status)
		_, err = w.Twilio.TaskrouterV1.UpdateWorkerReservation(ws, wk, sid, p)
		return err
	})
	sc.Step(`^worker "([^"]+)" (?:is|becomes|goes) "([^"]+)"$`, func(ctx context.Context, worker, activity string) error {
		w, ws, wk, err := workerByName(ctx, worker)
		if err != nil {
			return err
		}
		ap := &taskrouter.ListActivityParams{}
		ap.SetFriendlyName(activity)
		acts, err := w.Twilio.TaskrouterV1.ListActivity(ws, ap)
		if err != nil {
			return err
		}
		if len(acts) == 0 {
			return fmt.Errorf("no activity named %q", activity)
		}
		p := &taskrouter.UpdateWorkerParams{}
		p.SetActivitySid(*acts[0].Sid)
		_, err = w.Twilio.TaskrouterV1.UpdateWorker(ws, wk, p)
		return err
	})
}

func lastTask(ctx context.Context) (*taskrouter.TaskrouterV1Task, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, err
	}
	if w.taskSID == "" {
		return nil, errors.New("the last customer message created no task")
	}
	if w.Info.Workspace == nil {
		return nil, errors.New("the emulator has no workspace")
	}
	return w.Twilio.TaskrouterV1.FetchTask(w.Info.Workspace.SID, w.taskSID)
}

func workerByName(ctx context.Context, name string) (*World, string, string, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, "", "", err
	}
	if w.Info.Workspace == nil {
		return nil, "", "", errors.New("the emulator has no workspace")
	}
	ws := w.Info.Workspace.SID
	p := &taskrouter.ListWorkerParams{}
	p.SetFriendlyName(name)
	workers, err := w.Twilio.TaskrouterV1.ListWorker(ws, p)
	if err != nil {
		return nil, "", "", err
	}
	if len(workers) == 0 {
		return nil, "", "", fmt.Errorf("no worker named %q", name)
	}
	return w, ws, *workers[0].Sid, nil
}

func pendingReservation(ctx context.Context, worker string) (*taskrouter.TaskrouterV1WorkerReservation, error) {
	w, ws, wk, err := workerByName(ctx, worker)
	if err != nil {
		return nil, err
	}
	p := &taskrouter.ListWorkerReservationParams{}
	p.SetReservationStatus("pending")
	res, err := w.Twilio.TaskrouterV1.ListWorkerReservation(ws, wk, p)
	if err != nil {
		return nil, err
	}
	for i := range res {
		if w.taskSID == "" || str(res[i].TaskSid) == w.taskSID {
			return &res[i], nil
		}
	}
	return nil, fmt.Errorf("worker %s has no pending reservation for task %s (%d pending)", worker, w.taskSID, len(res))
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
