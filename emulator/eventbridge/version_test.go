package eventbridge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter"
)

// sdkVersions keeps versions as twilio-taskrouter 2.1.1 does with
// enableVersionCheck: every descriptor stores String(payload.version); a
// Worker payload (push or HTTP answer) sets the worker's copy;
// reservation.created, worker.capacity.update and
// worker.channel.availability.update bump it (Worker._bumpVersion: only
// when truthy, which "0" is); a reservation's HTTP answer updates the
// reservation but not its task (Reservation._update excludes "task"),
// whose version comes from pushes and from the task's own answers. Each
// update sends the copy it holds as If-Match.
type sdkVersions struct {
	t      *testing.T
	b      *bridge
	s      *socket
	token  string
	worker string
	res    map[string]*sdkReservation
}

type sdkReservation struct{ version, taskSID, task string }

// str is the SDK's String(version).
func str(v any) string { return fmt.Sprint(v) }

func (sdk *sdkVersions) bump() {
	if sdk.worker != "" {
		n, err := strconv.Atoi(sdk.worker)
		if err != nil {
			sdk.t.Fatalf("worker version %q", sdk.worker)
		}
		sdk.worker = strconv.Itoa(n + 1)
	}
}

// apply handles one push as the SDK's TaskRouterEventHandler does.
func (sdk *sdkVersions) apply(f testFrame) {
	p := f.Payload
	switch f.EventType {
	case "worker.activity.update", "worker.attributes.update":
		sdk.worker = str(p["version"])
	case "worker.capacity.update", "worker.channel.availability.update":
		sdk.bump()
	case "reservation.created":
		task := p["task"].(map[string]any)
		sdk.res[p["sid"].(string)] = &sdkReservation{version: str(p["version"]), taskSID: task["sid"].(string), task: str(task["version"])}
		sdk.bump()
	case "reservation.accepted", "reservation.wrapup", "reservation.completed", "reservation.rejected",
		"reservation.timeout", "reservation.canceled", "reservation.rescinded":
		if r := sdk.res[p["sid"].(string)]; r != nil {
			r.version, r.task = str(p["version"]), str(p["task"].(map[string]any)["version"])
		}
	case "task.updated", "task.canceled", "task.completed", "task.wrapup":
		for _, r := range sdk.res {
			if r.taskSID == p["sid"] {
				r.task = str(p["version"])
			}
		}
	}
}

// until applies pushes up to and including the first of type typ.
func (sdk *sdkVersions) until(typ string) {
	sdk.t.Helper()
	for {
		f := sdk.s.next()
		sdk.apply(f)
		if f.EventType == typ {
			return
		}
	}
}

// request posts an envelope with If-Match, as the SDK's Request.post.
func (sdk *sdkVersions) request(u string, params map[string]any, ifMatch string) (int, map[string]any) {
	sdk.t.Helper()
	body, _ := json.Marshal(map[string]any{"url": u, "method": "POST", "params": params, "token": sdk.token})
	req, _ := http.NewRequest(http.MethodPost, sdk.b.http.URL+Path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("apiVersion", "v1")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sdk.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		sdk.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// ok checks an answer is a 200 and returns its payload.
func (sdk *sdkVersions) ok(what string, st int, body map[string]any) map[string]any {
	sdk.t.Helper()
	if st != http.StatusOK {
		sdk.t.Fatalf("%s: %d %v", what, st, body)
	}
	return body["payload"].(map[string]any)
}

// engine returns the versions the engine holds now.
func (sdk *sdkVersions) engine(workerSID, resSID string) (worker, res, task string) {
	_ = sdk.b.acct.Do(func(tr *taskrouter.Engine) error {
		w, err := tr.Worker(sdk.b.acct.ws, workerSID)
		if err != nil {
			sdk.t.Fatal(err)
		}
		worker = strconv.Itoa(w.Version)
		if resSID != "" {
			r, err := tr.Reservation(sdk.b.acct.ws, resSID)
			if err != nil {
				sdk.t.Fatal(err)
			}
			res, task = strconv.Itoa(r.Version), strconv.Itoa(r.Task().Version)
		}
		return nil
	})
	return
}

// agree checks the SDK's copies equal the engine's versions.
func (sdk *sdkVersions) agree(when, workerSID, resSID string) {
	sdk.t.Helper()
	w, r, tk := sdk.engine(workerSID, resSID)
	if sdk.worker != w {
		sdk.t.Errorf("%s: the SDK holds worker version %q, the engine %s", when, sdk.worker, w)
	}
	if resSID != "" {
		if got := sdk.res[resSID]; got.version != r || got.task != tk {
			sdk.t.Errorf("%s: the SDK holds reservation/task versions %q/%q, the engine %s/%s", when, got.version, got.task, r, tk)
		}
	}
}

// TestSDKVersionJourney follows an agent through the Worker SDK's version
// bookkeeping (enableVersionCheck): every If-Match it sends must match,
// and after each step's pushes, before any HTTP answer, its copies must
// already equal the engine's (pushes carry the versions of their events'
// emission; reservations and channel changes bump the worker).
func TestSDKVersionJourney(t *testing.T) {
	b := newBridge(t, Options{})
	acct := b.acct
	base := "Workspaces/" + acct.ws
	// alice is out of the way: bob takes every task.
	_ = acct.Do(func(tr *taskrouter.Engine) error {
		_, err := tr.UpdateWorker(acct.ws, acct.alice, taskrouter.UpdateWorkerParams{ActivitySID: &acct.unavail})
		return err
	})
	bob := acct.bob
	wk := base + "/Workers/" + bob
	sdk := &sdkVersions{t: t, b: b, s: b.mustDial("bob", ""), token: acct.token("bob", time.Hour), res: map[string]*sdkReservation{}}
	st, body := b.post(sdk.token, "GET", wk, nil) // Worker._initialize
	sdk.worker = str(sdk.ok("fetch worker", st, body)["version"])
	sdk.agree("ready", bob, "")
	createTask := func() {
		_ = acct.Do(func(tr *taskrouter.Engine) error {
			_, err := tr.CreateTask(acct.ws, taskrouter.CreateTaskParams{WorkflowSID: acct.workflow})
			return err
		})
	}
	setActivity := func(what, sid, lastPush string) {
		st, body := sdk.request(wk, map[string]any{"ActivitySid": sid}, sdk.worker)
		sdk.until(lastPush)
		sdk.agree(what+" (pushes)", bob, "")
		sdk.worker = str(sdk.ok(what, st, body)["version"])
		sdk.agree(what, bob, "")
	}
	onlyRes := func() string {
		if len(sdk.res) != 1 {
			t.Fatalf("the SDK holds %d reservations", len(sdk.res))
		}
		for sid := range sdk.res {
			return sid
		}
		return ""
	}
	reservation := func(what, wr, status, lastPush string) {
		st, body := sdk.request(wk+"/Reservations/"+wr, map[string]any{"ReservationStatus": status}, sdk.res[wr].version)
		sdk.until(lastPush)
		sdk.agree(what+" (pushes)", bob, wr)
		sdk.res[wr].version = str(sdk.ok(what, st, body)["version"]) // not the task
		sdk.agree(what, bob, wr)
	}

	// Round 1: ready, Available, reserved, accept, wrap, complete, set activity.
	setActivity("Available", acct.avail, "worker.activity.update")
	createTask()
	sdk.until("reservation.created")
	wr := onlyRes()
	sdk.agree("reservation.created", bob, wr)
	reservation("accept", wr, "accepted", "reservation.accepted")
	reservation("wrap", wr, "wrapping", "task.wrapup")
	st, body = sdk.request(base+"/Tasks/"+sdk.res[wr].taskSID, map[string]any{"AssignmentStatus": "completed", "Reason": "done"}, sdk.res[wr].task)
	sdk.until("task.completed")
	sdk.agree("complete (pushes)", bob, wr)
	sdk.res[wr].task = str(sdk.ok("complete", st, body)["version"])
	sdk.agree("complete", bob, wr)
	delete(sdk.res, wr) // reservation.completed: the SDK drops it
	setActivity("Unavailable after the task", acct.unavail, "worker.activity.update")

	// Round 2: becoming Available with a task waiting is one operation that
	// pushes worker.activity.update (N+1) then reservation.created (N+2).
	createTask()
	setActivity("Available with a task waiting", acct.avail, "reservation.created")
	wr = onlyRes()
	sdk.agree("Available with a task waiting", bob, wr)
	// Channel changes made elsewhere (e.g. Flex's capacity settings) bump too.
	_ = acct.Do(func(tr *taskrouter.Engine) error {
		off := false
		_, err := tr.UpdateWorkerChannel(acct.ws, bob, "chat", taskrouter.UpdateWorkerChannelParams{Capacity: new(2), Available: &off})
		return err
	})
	sdk.until("worker.channel.availability.update")
	sdk.agree("channel changes", bob, wr)
	// A rejection ends the reservation, which the SDK drops with its task
	// (that task then goes back to pending: a version the SDK never needs).
	st, body = sdk.request(wk+"/Reservations/"+wr, map[string]any{"ReservationStatus": "rejected"}, sdk.res[wr].version)
	sdk.until("reservation.rejected")
	sdk.ok("reject", st, body)
	delete(sdk.res, wr)
	sdk.agree("reject", bob, "")
	setActivity("Offline", acct.offline, "worker.activity.update")

	// The check is live: a stale copy is refused.
	stale := strconv.Itoa(mustAtoi(t, sdk.worker) - 1)
	if st, body := sdk.request(wk, map[string]any{"ActivitySid": acct.avail}, stale); st != http.StatusPreconditionFailed ||
		!strings.Contains(fmt.Sprint(body["message"]), "does not match") {
		t.Fatalf("stale If-Match %s: %d %v", stale, st, body)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPushesCarryVersionsOfTheirEmission: one operation sets the worker
// Available (version N+1) and reserves it (N+2); the activity push says
// N+1 although it is rendered after the whole operation.
func TestPushesCarryVersionsOfTheirEmission(t *testing.T) {
	b := newBridge(t, Options{})
	acct := b.acct
	s := b.mustDial("bob", "")
	var n int
	_ = acct.Do(func(tr *taskrouter.Engine) error {
		if _, err := tr.UpdateWorker(acct.ws, acct.alice, taskrouter.UpdateWorkerParams{ActivitySID: &acct.unavail}); err != nil {
			return err
		}
		if _, err := tr.CreateTask(acct.ws, taskrouter.CreateTaskParams{WorkflowSID: acct.workflow}); err != nil {
			return err
		}
		w, err := tr.Worker(acct.ws, acct.bob)
		n = w.Version
		return err
	})
	_ = acct.Do(func(tr *taskrouter.Engine) error {
		_, err := tr.UpdateWorker(acct.ws, acct.bob, taskrouter.UpdateWorkerParams{ActivitySID: &acct.avail})
		return err
	})
	if f := s.next(); f.EventType != "worker.activity.update" || f.Payload["version"] != float64(n+1) {
		t.Fatalf("first push %s version %v, want worker.activity.update %d", f.EventType, f.Payload["version"], n+1)
	}
	if f := s.next(); f.EventType != "reservation.created" || f.Payload["version"] != float64(0) {
		t.Fatalf("second push %s version %v, want reservation.created 0", f.EventType, f.Payload["version"])
	}
	_ = acct.Do(func(tr *taskrouter.Engine) error {
		w, err := tr.Worker(acct.ws, acct.bob)
		if err == nil && w.Version != n+2 {
			t.Errorf("worker version %d, want %d", w.Version, n+2)
		}
		return err
	})
}
