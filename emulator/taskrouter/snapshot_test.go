package taskrouter

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// snapRig is one engine with its own env, clock, REST server and event log.
type snapRig struct {
	e      *Engine
	env    env.Env
	clk    *clock.Virtual
	srv    *httptest.Server
	events []string
}

func newSnapRig(t *testing.T) *snapRig {
	t.Helper()
	en, clk := env.ForTest()
	r := &snapRig{e: New(en), env: en, clk: clk}
	r.e.Subscribe(func(ev Event) { r.events = append(r.events, string(ev.Type)+" "+ev.TaskSID) })
	r.srv = twiliotest.Serve(t, Product, r.e, Routes())
	return r
}

// restoredRig restores data into a fresh engine whose clock reads at.
func restoredRig(t *testing.T, data []byte, at time.Time) *snapRig {
	t.Helper()
	r := newSnapRig(t)
	r.clk.Advance(at.Sub(r.clk.Now()))
	if err := r.e.Restore(data); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return r
}

func (r *snapRig) snapshot(t *testing.T) []byte {
	t.Helper()
	b, err := r.e.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return b
}

// richState drives r through every kind of resource and state: two
// workspaces (one single-tasking from the FIFO template), renamed and custom
// activities, a channel-optimized channel, queues with and without members,
// a workflow with timed filters whose configuration changed under a waiting
// task, tasks in every status (pending with a step timer, reserved, assigned,
// wrapping, completed, canceled, deleted, routed to a worker and to a
// queue, waiting for a retry after a rejection), a deleted worker whose
// reservation stays listed, events and statistics.
func richState(t *testing.T, r *snapRig) {
	t.Helper()
	e := r.e
	step := func() { r.clk.Advance(3 * time.Second) }
	ws := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Support"}))(t)
	offline := must(e.ActivityByName(ws.SID, "Offline"))(t)
	avail := must(e.ActivityByName(ws.SID, "Available"))(t)
	brk := must(e.CreateActivity(ws.SID, CreateActivityParams{FriendlyName: "Break"}))(t)
	lunch := "Lunch"
	must(e.UpdateActivity(ws.SID, brk.SID, &lunch))(t)
	must(e.CreateTaskChannel(ws.SID, CreateTaskChannelParams{FriendlyName: "Email", UniqueName: "email", ChannelOptimizedRouting: true}))(t)
	step()
	qAll := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "All", TargetWorkers: "1==1"}))(t)
	qES := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Spanish", TargetWorkers: `skills HAS "es"`,
		MaxReservedWorkers: 2, TaskOrder: "LIFO", ReservationActivitySID: brk.SID}))(t)
	qNone := must(e.CreateTaskQueue(ws.SID, CreateTaskQueueParams{FriendlyName: "Nobody"}))(t)
	empty := ""
	must(e.UpdateTaskQueue(ws.SID, qNone.SID, UpdateTaskQueueParams{TargetWorkers: &empty}))(t)
	cfg := fmt.Sprintf(`{"task_routing":{"filters":[`+
		`{"filter_friendly_name":"es","expression":"lang==\"es\"","targets":[{"queue":%q,"timeout":30},{"queue":%q,"timeout":60,"priority":5}]},`+
		`{"filter_friendly_name":"none","expression":"lang==\"none\"","targets":[{"queue":%q,"timeout":300}]}],`+
		`"default_filter":{"queue":%q}}}`, qES.SID, qAll.SID, qNone.SID, qAll.SID)
	wf := must(e.CreateWorkflow(ws.SID, CreateWorkflowParams{FriendlyName: "Main", Configuration: cfg, TaskReservationTimeout: 50}))(t)
	step()
	worker := func(name, attrs string, act *Activity) *Worker {
		return must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: name, Attributes: attrs, ActivitySID: act.SID}))(t)
	}
	dee := worker("dee", `{}`, avail)
	ana := worker("ana", `{"skills":["es"]}`, offline)
	bob := worker("bob", `{}`, offline)
	cy := worker("cy", `{"level":3}`, offline)
	two, no := 2, false
	must(e.UpdateWorkerChannel(ws.SID, ana.SID, "email", UpdateWorkerChannelParams{Capacity: &two}))(t)
	must(e.UpdateWorkerChannel(ws.SID, bob.SID, "chat", UpdateWorkerChannelParams{Available: &no}))(t)
	step()
	task := func(attrs, channel string) *Task {
		return must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: attrs, TaskChannel: channel}))(t)
	}
	pending := func(tk *Task) *Reservation {
		for _, res := range tk.resList {
			if res.ReservationStatus == StatusPending {
				return res
			}
		}
		t.Fatalf("task %s (%s) has no pending reservation", tk.SID, tk.AssignmentStatus)
		return nil
	}
	accept := func(tk *Task) {
		must(e.UpdateReservation(ws.SID, pending(tk).SID, UpdateReservationParams{ReservationStatus: StatusAccepted}))(t)
	}
	setStatus := func(tk *Task, status, reason string) {
		must(e.UpdateTask(ws.SID, tk.SID, UpdateTaskParams{AssignmentStatus: &status, Reason: &reason}))(t)
	}

	// Completed by dee, who is then deleted.
	tC := task(`{"n":"completed"}`, "")
	step()
	accept(tC)
	step()
	setStatus(tC, TaskCompleted, "done")
	if err := e.DeleteWorker(ws.SID, dee.SID); err != nil {
		t.Fatal(err)
	}
	tE := task(`{"n":"canceled"}`, "")
	setStatus(tE, TaskCanceled, "changed my mind")
	tDel := task(`{"n":"deleted"}`, "")
	if err := e.DeleteTask(ws.SID, tDel.SID); err != nil {
		t.Fatal(err)
	}
	task(`{"lang":"none"}`, "") // pending in Nobody, step timer
	step()
	for _, w := range []*Worker{ana, bob} {
		must(e.UpdateWorker(ws.SID, w.SID, UpdateWorkerParams{ActivitySID: &avail.SID}))(t)
	}
	tA := task(`{"n":"assigned"}`, "")
	accept(tA)
	step()
	tB := task(`{"n":"wrapping"}`, "")
	accept(tB)
	setStatus(tB, TaskWrapping, "")
	step()
	// Nobody has room on default: waits, with a short TTL, under the
	// configuration the workflow is about to leave.
	prio := 7
	must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"n":"ttl"}`, Timeout: 100, Priority: &prio}))(t)
	newCfg := strings.Replace(cfg, `"timeout":300`, `"timeout":400`, 1)
	must(e.UpdateWorkflow(ws.SID, wf.SID, UpdateWorkflowParams{Configuration: &newCfg}))(t)
	step()
	task(`{"n":"email"}`, "email") // reserved for ana (pending, 50s timeout)
	tR := task(`{"lang":"es"}`, "chat")
	f := false
	must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"n":"to cy"}`, RoutingTarget: cy.SID, IgnoreCapacity: &f}))(t)
	must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"n":"to queue"}`, RoutingTarget: qNone.SID}))(t)
	vst := r.clk.Now().Add(-time.Hour)
	must(e.UpdateTask(ws.SID, tE.SID, UpdateTaskParams{VirtualStartTime: &vst}))(t)

	// A single-tasking workspace from the FIFO template.
	mt := false
	ws2 := must(e.CreateWorkspace(CreateWorkspaceParams{FriendlyName: "Fifo", Template: TemplateFIFO, MultiTaskEnabled: &mt,
		PrioritizeQueueOrder: "LIFO", EventsFilter: "task.created"}))(t)
	avail2 := must(e.ActivityByName(ws2.SID, "Available"))(t)
	must(e.CreateWorker(ws2.SID, CreateWorkerParams{FriendlyName: "solo", ActivitySID: avail2.SID}))(t)
	must(e.CreateTask(ws2.SID, CreateTaskParams{Attributes: `{"x":1}`}))(t)
	must(e.CreateTask(ws2.SID, CreateTaskParams{Attributes: `{"x":2}`}))(t)
	step()
	// Rejected by its only candidate, who stays available: a retry is due in 1s.
	must(e.UpdateReservation(ws.SID, pending(tR).SID, UpdateReservationParams{ReservationStatus: StatusRejected}))(t)
	if len(tR.retries) != 1 {
		t.Fatalf("rejected task has %d retries armed, want 1", len(tR.retries))
	}
}

var hostRE = regexp.MustCompile(`https?://[^/"]+`)

// restPaths lists a GET of every resource and list of e's REST API.
func restPaths(e *Engine) []string {
	paths := []string{"/v1/Workspaces"}
	for _, ws := range e.Workspaces("") {
		b := "/v1/Workspaces/" + ws.SID
		paths = append(paths, b, b+"/Activities", b+"/TaskChannels", b+"/TaskQueues", b+"/Workflows", b+"/Workers",
			b+"/Tasks?PageSize=1000", b+"/Events?PageSize=1000&Minutes=43200", b+"/Statistics", b+"/RealTimeStatistics",
			b+"/CumulativeStatistics?SplitByWaitTime=1,10", b+"/TaskQueues/Statistics", b+"/Workers/Statistics",
			b+"/Workers/RealTimeStatistics", b+"/Workers/CumulativeStatistics", b+"/Workers?Ordering=DateStatusChanged:desc",
			b+"/Tasks?Ordering=Priority:desc,DateCreated:asc", b+"/TaskQueues?Ordering=DateUpdated:desc")
		for _, a := range ws.activities.list {
			paths = append(paths, b+"/Activities/"+a.SID)
		}
		for _, c := range ws.channels.list {
			paths = append(paths, b+"/TaskChannels/"+c.SID)
		}
		for _, q := range ws.queues.list {
			p := b + "/TaskQueues/" + q.SID
			paths = append(paths, p, p+"/Statistics", p+"/RealTimeStatistics", p+"/CumulativeStatistics", b+"/Workers?TaskQueueSid="+q.SID)
		}
		for _, wf := range ws.workflows.list {
			p := b + "/Workflows/" + wf.SID
			paths = append(paths, p, p+"/Statistics", p+"/RealTimeStatistics", p+"/CumulativeStatistics")
		}
		for _, w := range ws.workers.list {
			p := b + "/Workers/" + w.SID
			paths = append(paths, p, p+"/Channels", p+"/Reservations", p+"/Statistics")
			for _, wc := range w.channels {
				paths = append(paths, p+"/Channels/"+wc.SID)
			}
			for _, res := range w.reservations {
				paths = append(paths, p+"/Reservations/"+res.SID)
			}
		}
		for _, tk := range ws.tasks.list {
			p := b + "/Tasks/" + tk.SID
			paths = append(paths, p, p+"/Reservations")
			for _, res := range tk.resList {
				paths = append(paths, p+"/Reservations/"+res.SID)
			}
		}
		if wh := e.hist.ws[ws.SID]; wh != nil {
			for i := range wh.events {
				paths = append(paths, b+"/Events/"+wh.at(i).SID())
			}
		}
	}
	return paths
}

// restRead GETs every path, returning status and body with hosts masked.
func (r *snapRig) restRead(t *testing.T, paths []string) map[string]string {
	t.Helper()
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		resp, err := http.Get(r.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out[p] = fmt.Sprintf("%d %s", resp.StatusCode, hostRE.ReplaceAllString(string(body), "HOST"))
	}
	return out
}

var mintedRE = regexp.MustCompile(`W[RC][0-9a-f]{32}`)

// normalizeMinted replaces reservation and worker channel SIDs by their
// order of first appearance, so engines that minted different random SIDs
// for the same steps compare equal.
func normalizeMinted(b []byte) string {
	seen := map[string]string{}
	return mintedRE.ReplaceAllStringFunc(string(b), func(s string) string {
		if n, ok := seen[s]; ok {
			return n
		}
		n := fmt.Sprintf("%s#%d", s[:2], len(seen))
		seen[s] = n
		return n
	})
}

func TestSnapshotRoundTrip(t *testing.T) {
	orig := newSnapRig(t)
	richState(t, orig)
	snap := orig.snapshot(t)
	if !json.Valid(snap) || strings.Contains(string(snap), "\n") {
		t.Fatalf("snapshot is not compact JSON")
	}
	var shape snapEngine
	if err := json.Unmarshal(snap, &shape); err != nil {
		t.Fatal(err)
	}
	if len(shape.Workspaces) != 2 || len(shape.Workspaces[0].Configurations) == 0 || shape.EventLog == nil {
		t.Fatalf("rich state lacks workspaces, an earlier configuration or events: %d workspaces", len(shape.Workspaces))
	}

	rest := restoredRig(t, snap, orig.clk.Now())
	// (d) Restore replays nothing.
	if n := rest.env.Timeline.Len(); n != 0 {
		t.Fatalf("Restore wrote %d timeline entries", n)
	}
	if len(rest.events) != 0 {
		t.Fatalf("Restore emitted events %v", rest.events)
	}
	// (a) Byte for byte.
	if again := rest.snapshot(t); string(again) != string(snap) {
		t.Fatalf("snapshot of the restored engine differs:\n%s\n---\n%s", snap, again)
	}
	for _, ws := range rest.e.workspaces.list {
		checkIndexes(t, rest.e, ws)
	}
	// (b) Every REST read.
	paths := restPaths(orig.e)
	if len(paths) < 100 {
		t.Fatalf("only %d REST reads", len(paths))
	}
	want, got := orig.restRead(t, paths), rest.restRead(t, paths)
	for _, p := range paths {
		if !strings.HasPrefix(want[p], "200 ") {
			t.Fatalf("GET %s on the original: %s", p, want[p])
		}
		if got[p] != want[p] {
			t.Fatalf("GET %s differs after restore:\n%s\n---\n%s", p, want[p], got[p])
		}
	}
	// (c) Timers fire at the same virtual times with the same effects.
	if orig.clk.Pending() == 0 || rest.clk.Pending() != orig.clk.Pending() {
		t.Fatalf("timers pending: original %d, restored %d", orig.clk.Pending(), rest.clk.Pending())
	}
	orig.events = nil
	fired := 0
	for i := 0; i < 90; i++ {
		orig.clk.Advance(2 * time.Second)
		rest.clk.Advance(2 * time.Second)
		if a, b := strings.Join(orig.events, "|"), strings.Join(rest.events, "|"); a != b {
			t.Fatalf("after %ds the engines emitted different events:\n%s\n---\n%s", 2*(i+1), a, b)
		}
		fired += len(orig.events)
		orig.events, rest.events = nil, nil
		if a, b := normalizeMinted(orig.snapshot(t)), normalizeMinted(rest.snapshot(t)); a != b {
			t.Fatalf("after %ds the engines' states differ:\n%s\n---\n%s", 2*(i+1), a, b)
		}
	}
	if fired < 10 {
		t.Fatalf("only %d events from timers in 180s: the scenario arms too few", fired)
	}
	for _, ws := range rest.e.workspaces.list {
		checkIndexes(t, rest.e, ws)
	}
}

// TestSnapshotRestoredEngineKeepsWorking mutates a restored engine: its
// counters continue (creation order, idle order, event SIDs, timer order),
// new SIDs do not collide, and a second generation restores identically.
func TestSnapshotRestoredEngineKeepsWorking(t *testing.T) {
	orig := newSnapRig(t)
	richState(t, orig)
	snap := orig.snapshot(t)
	rest := restoredRig(t, snap, orig.clk.Now())
	e := rest.e
	ws := must(e.WorkspaceByName("Support"))(t)
	before := map[string]bool{}
	for _, m := range regexp.MustCompile(`[A-Z]{2}[0-9a-f]{32}`).FindAllString(string(snap), -1) {
		before[m] = true
	}
	seq, assignSeq, evSeq := e.seq, e.assignSeq, e.hist.seq

	avail := must(e.ActivityByName(ws.SID, "Available"))(t)
	w := must(e.CreateWorker(ws.SID, CreateWorkerParams{FriendlyName: "eve", ActivitySID: avail.SID}))(t)
	tk := must(e.CreateTask(ws.SID, CreateTaskParams{Attributes: `{"n":"after restore"}`, TaskChannel: "sms"}))(t)
	if w.seq != seq+1 || tk.seq != seq+2 {
		t.Fatalf("creation order restarted: worker %d, task %d after %d", w.seq, tk.seq, seq)
	}
	if len(tk.resList) != 1 || tk.resList[0].worker == nil || e.assignSeq <= assignSeq {
		t.Fatalf("new task not reserved (%d reservations), assignSeq %d -> %d", len(tk.resList), assignSeq, e.assignSeq)
	}
	res := tk.resList[0]
	for _, sid := range []string{w.SID, tk.SID, res.SID, w.channels[0].SID} {
		if before[sid] {
			t.Fatalf("new SID %s collides with the snapshot's", sid)
		}
	}
	evs := must(e.Events(ws.SID, EventFilter{TaskSID: tk.SID}))(t)
	// Newest first; eve's creation (and first offer) came before.
	if len(evs) == 0 || evs[len(evs)-1].seq <= evSeq+1 || evs[len(evs)-1].EventType != "task.created" || before[evs[0].SID()] {
		t.Fatalf("events after restore do not continue the log at %d: %d events, oldest %d %s", evSeq, len(evs), evs[len(evs)-1].seq, evs[len(evs)-1].EventType)
	}
	all := must(e.Tasks(ws.SID))(t)
	if all[len(all)-1] != tk {
		t.Fatalf("new task is not listed last")
	}
	// The restored state is routable: accept, complete, and the old waiting
	// tasks still move on their timers.
	must(e.UpdateReservation(ws.SID, res.SID, UpdateReservationParams{ReservationStatus: StatusAccepted}))(t)
	done := TaskCompleted
	reason := "ok"
	must(e.UpdateTask(ws.SID, tk.SID, UpdateTaskParams{AssignmentStatus: &done, Reason: &reason}))(t)
	if tk.Version != 2 || res.Version != 2 {
		t.Fatalf("versions after restore: task %d, reservation %d, want 2 and 2", tk.Version, res.Version)
	}
	rest.clk.Advance(200 * time.Second)
	for _, ws := range e.workspaces.list {
		checkIndexes(t, e, ws)
	}
	// A second generation.
	snap2 := rest.snapshot(t)
	gen2 := restoredRig(t, snap2, rest.clk.Now())
	if got := gen2.snapshot(t); string(got) != string(snap2) {
		t.Fatalf("second-generation snapshot differs")
	}
	paths := restPaths(e)
	want, got := rest.restRead(t, paths), gen2.restRead(t, paths)
	for _, p := range paths {
		if got[p] != want[p] {
			t.Fatalf("GET %s differs in the second generation:\n%s\n---\n%s", p, want[p], got[p])
		}
	}
}

// TestSnapshotRestoreRejectsBadData feeds corrupt snapshots: each is an
// error and leaves the engine empty, with no timer armed.
func TestSnapshotRestoreRejectsBadData(t *testing.T) {
	orig := newSnapRig(t)
	richState(t, orig)
	snap := orig.snapshot(t)
	// edit decodes the good snapshot, applies f to workspace 0, re-encodes.
	edit := func(f func(root, ws map[string]any)) []byte {
		var root map[string]any
		if err := json.Unmarshal(snap, &root); err != nil {
			t.Fatal(err)
		}
		f(root, root["workspaces"].([]any)[0].(map[string]any))
		b, err := json.Marshal(root)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := func(ws map[string]any, key string, match func(map[string]any) bool) map[string]any {
		for _, x := range ws[key].([]any) {
			if m := x.(map[string]any); match(m) {
				return m
			}
		}
		t.Fatalf("no %s matches", key)
		return nil
	}
	status := func(s string) func(map[string]any) bool {
		return func(m map[string]any) bool { return m["reservation_status"] == s || m["assignment_status"] == s }
	}
	anyOne := func(map[string]any) bool { return true }
	const otherSID = "WT0123456789abcdef0123456789abcdef"
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte(`{"workspaces":[`), "unexpected EOF"},
		{"wrong type", []byte(`{"seq":"many"}`), "cannot unmarshal"},
		{"unknown field", []byte(`{"nonsense":true}`), "unknown field"},
		{"trailing data", []byte(`{} {}`), "trailing data"},
		{"workspaces not a list", []byte(`{"workspaces":{}}`), "cannot unmarshal"},
		{"malformed workspace SID", edit(func(_, ws map[string]any) { ws["sid"] = "WS123" }), "SID"},
		{"reservation of an unknown task", edit(func(_, ws map[string]any) {
			first(ws, "reservations", anyOne)["task_sid"] = otherSID
		}), "not a task of the workspace"},
		{"pending reservation of a deleted worker", edit(func(_, ws map[string]any) {
			first(ws, "reservations", status(StatusPending))["worker_sid"] = "WK0123456789abcdef0123456789abcdef"
		}), "not a worker of the workspace"},
		{"pending reservation without its timer", edit(func(_, ws map[string]any) {
			delete(first(ws, "reservations", status(StatusPending)), "timeout")
		}), "timeout timer"},
		{"worker in an unknown activity", edit(func(_, ws map[string]any) {
			first(ws, "workers", anyOne)["activity_sid"] = "WA0123456789abcdef0123456789abcdef"
		}), "activity"},
		{"worker channel of an unknown task channel", edit(func(_, ws map[string]any) {
			first(ws, "workers", anyOne)["channels"].([]any)[0].(map[string]any)["task_channel_sid"] = "TC0123456789abcdef0123456789abcdef"
		}), "task channel"},
		{"task of an unknown workflow", edit(func(_, ws map[string]any) {
			first(ws, "tasks", status(TaskPending))["workflow_sid"] = "WW0123456789abcdef0123456789abcdef"
		}), "workflow"},
		{"routing position outside the configuration", edit(func(_, ws map[string]any) {
			first(ws, "tasks", status(TaskPending))["routing"].(map[string]any)["filter"] = 9.0
		}), "routing position"},
		{"waiting task without routing", edit(func(_, ws map[string]any) {
			delete(first(ws, "tasks", status(TaskPending)), "routing")
		}), "routing position"},
		{"workflow configuration naming an unknown queue", edit(func(_, ws map[string]any) {
			first(ws, "workflows", anyOne)["configuration"] = `{"task_routing":{"default_filter":{"queue":"WQ0123456789abcdef0123456789abcdef"}}}`
		}), "Configuration"},
		{"bad attributes", edit(func(_, ws map[string]any) { first(ws, "workers", anyOne)["attributes"] = "[1" }), "Attributes"},
		{"events out of order", edit(func(_, ws map[string]any) {
			evs := ws["history"].(map[string]any)["events"].([]any)
			evs[0], evs[1] = evs[1], evs[0]
		}), "out of order"},
		{"unknown event_data key", edit(func(_, ws map[string]any) {
			shape := ws["history"].(map[string]any)["shapes"].([]any)[0].([]any)
			shape[0] = "favourite_colour"
		}), "event_data key"},
		{"event values not fitting their shape", edit(func(_, ws map[string]any) {
			ev := ws["history"].(map[string]any)["events"].([]any)[0].(map[string]any)
			ev["values"] = append(ev["values"].([]any), "extra")
		}), "does not fit"},
		{"history without the event log", edit(func(root, _ map[string]any) { delete(root, "event_log") }), "event log"},
		{"second workspace broken after a good first", edit(func(root, _ map[string]any) {
			ws2 := root["workspaces"].([]any)[1].(map[string]any)
			ws2["default_activity_sid"] = "WA0123456789abcdef0123456789abcdef"
		}), "default or timeout activity"},
	}
	empty := newSnapRig(t)
	emptySnap := empty.snapshot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newSnapRig(t)
			r.clk.Advance(orig.clk.Now().Sub(r.clk.Now()))
			err := r.e.Restore(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "taskrouter: restore:") {
				t.Fatalf("Restore error = %v, want one mentioning %q", err, c.want)
			}
			if got := r.snapshot(t); string(got) != string(emptySnap) {
				t.Fatalf("engine not empty after a failed restore: %s", got)
			}
			if n := r.clk.Pending(); n != 0 {
				t.Fatalf("%d timers armed after a failed restore", n)
			}
			if n := r.env.Timeline.Len(); n != 0 || len(r.events) != 0 {
				t.Fatalf("failed restore recorded %d timeline entries, %d events", n, len(r.events))
			}
			// Still usable: the good snapshot restores into it.
			if err := r.e.Restore(snap); err != nil {
				t.Fatalf("good snapshot after a failed one: %v", err)
			}
		})
	}
	if err := orig.e.Restore(snap); err == nil || !strings.Contains(err.Error(), "already holds state") {
		t.Fatalf("Restore into a busy engine: %v", err)
	}
}
