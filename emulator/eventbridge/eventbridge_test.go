package eventbridge

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/taskrouter"
)

func TestInitThenHeartbeats(t *testing.T) {
	b := newBridge(t, Options{Heartbeat: 30 * time.Millisecond})
	s, _, err := b.dial(b.acct.token("alice", time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	raw := <-s.frames
	var init testFrame
	if err := json.Unmarshal([]byte(raw), &init); err != nil || init.EventType != "init" {
		t.Fatalf("first frame %q", raw)
	}
	p := init.Payload
	if p["channel_id"] != b.acct.alice || p["account_sid"] != b.acct.SID() || p["workspace_sid"] != b.acct.ws ||
		p["token_lifetime"] != float64(time.Hour/time.Millisecond) {
		t.Fatalf("init %v", p)
	}
	select {
	case hb := <-s.frames:
		if hb != " " {
			t.Fatalf("second frame %q, want a heartbeat", hb)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no heartbeat")
	}
	if n := b.srv.Sessions(b.acct.SID(), b.acct.alice); n != 1 {
		t.Errorf("Sessions = %d", n)
	}
}

func TestTokenExpiryOnTheTokenClock(t *testing.T) {
	b := newBridge(t, Options{ExpiryCheck: 10 * time.Millisecond})
	s := b.mustDial("alice", "")
	if s.closed(100 * time.Millisecond) {
		t.Fatal("closed before expiry")
	}
	b.acct.advance(2 * time.Hour) // virtual time: the hour-long token has expired
	if !s.closed(2 * time.Second) {
		t.Fatal("socket still open after its token expired")
	}
	// An expired token is refused at the upgrade and in envelopes.
	tok := b.acct.token("alice", time.Minute)
	b.acct.advance(2 * time.Minute)
	if _, resp, err := b.dial(tok, ""); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial with an expired token: %v %v", err, resp)
	}
	status, body := b.post(tok, "GET", "Workspaces/"+b.acct.ws+"/Activities", nil)
	if status != http.StatusUnauthorized || body["code"] != float64(20104) {
		t.Fatalf("envelope with an expired token: %d %v", status, body)
	}
}

func TestCloseExistingSessions(t *testing.T) {
	b := newBridge(t, Options{})
	old := b.mustDial("alice", "")
	other := b.mustDial("alice", "")
	b.mustDial("alice", "&closeExistingSessions=true")
	if !old.closed(2*time.Second) || !other.closed(2*time.Second) {
		t.Fatal("older sessions stayed open")
	}
	deadline := time.Now().Add(2 * time.Second)
	for b.srv.Sessions(b.acct.SID(), b.acct.alice) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("Sessions = %d after closeExistingSessions", b.srv.Sessions(b.acct.SID(), b.acct.alice))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSetWorkerOfflineIfDisconnected: on by default (the SDK documents
// true and sends the parameter only when the app sets it).
func TestSetWorkerOfflineIfDisconnected(t *testing.T) {
	b := newBridge(t, Options{OfflineGrace: 20 * time.Millisecond})
	s := b.mustDial("alice", "")
	_ = s.conn.Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		var act string
		_ = b.acct.Do(func(tr *taskrouter.Engine) error {
			w, _ := tr.Worker(b.acct.ws, b.acct.alice)
			act = w.ActivitySID
			return nil
		})
		if act == b.acct.offline {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("alice is not offline after her only socket closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.acct.recMu.Lock()
	defer b.acct.recMu.Unlock()
	if len(b.acct.calls) != 1 || !strings.Contains(b.acct.calls[0], "ActivitySid="+b.acct.offline) {
		t.Errorf("REST calls %v, want the offline activity change", b.acct.calls)
	}
}

func TestSetWorkerOfflineIfDisconnectedFalse(t *testing.T) {
	b := newBridge(t, Options{OfflineGrace: 20 * time.Millisecond})
	s := b.mustDial("alice", "&setWorkerOfflineIfDisconnected=false")
	_ = s.conn.Close()
	time.Sleep(200 * time.Millisecond)
	b.acct.recMu.Lock()
	defer b.acct.recMu.Unlock()
	if len(b.acct.calls) != 0 {
		t.Errorf("REST calls %v with setWorkerOfflineIfDisconnected=false", b.acct.calls)
	}
}

func TestNoOfflineWhileAnotherSocketIsOpen(t *testing.T) {
	b := newBridge(t, Options{OfflineGrace: 20 * time.Millisecond})
	s := b.mustDial("alice", "&setWorkerOfflineIfDisconnected=true")
	b.mustDial("alice", "")
	_ = s.conn.Close()
	time.Sleep(200 * time.Millisecond)
	b.acct.recMu.Lock()
	defer b.acct.recMu.Unlock()
	if len(b.acct.calls) != 0 {
		t.Errorf("REST calls %v with a socket still open", b.acct.calls)
	}
}

func TestResetClosesSockets(t *testing.T) {
	b := newBridge(t, Options{OfflineGrace: 20 * time.Millisecond})
	s := b.mustDial("alice", "&setWorkerOfflineIfDisconnected=true")
	b.acct.reset()
	if !s.closed(2 * time.Second) {
		t.Fatal("socket open after reset")
	}
	time.Sleep(100 * time.Millisecond)
	b.acct.recMu.Lock()
	if len(b.acct.calls) != 0 {
		t.Errorf("reset set the worker offline: %v", b.acct.calls)
	}
	b.acct.recMu.Unlock()
	// The new engines push to new sockets.
	s2 := b.mustDial("alice", "")
	tok := b.acct.token("alice", time.Hour)
	if st, body := b.post(tok, "POST", "Workspaces/"+b.acct.ws+"/Workers/"+b.acct.alice, map[string]any{"ActivitySid": b.acct.unavail}); st != 200 {
		t.Fatalf("update: %d %v", st, body)
	}
	if f := s2.await("worker.activity.update"); f.Payload["activity_sid"] != b.acct.unavail {
		t.Fatalf("push %v", f.Payload)
	}
}

// TestReservationLifecycle drives a task through the envelope and checks
// every push.
func TestReservationLifecycle(t *testing.T) {
	b := newBridge(t, Options{})
	s := b.mustDial("alice", "")
	tok := b.acct.token("alice", time.Hour)
	var task *taskrouter.Task
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		var err error
		task, err = tr.CreateTask(b.acct.ws, taskrouter.CreateTaskParams{WorkflowSID: b.acct.workflow, Attributes: `{"b":1,"a":2}`})
		return err
	})
	created := s.await("reservation.created").Payload
	wr := created["sid"].(string)
	if tk := created["task"].(map[string]any); tk["sid"] != task.SID || tk["attributes"] != `{"b":1,"a":2}` || tk["addons"] != "{}" {
		t.Fatalf("reservation.created task %v", tk)
	}
	base := "Workspaces/" + b.acct.ws
	st, body := b.post(tok, "POST", base+"/Workers/"+b.acct.alice+"/Reservations/"+wr, map[string]any{"ReservationStatus": "accepted"})
	if st != 200 {
		t.Fatalf("accept: %d %v", st, body)
	}
	s.await("reservation.accepted")
	// Accepting twice is TaskRouter's own 400, relayed with its message.
	st, body = b.post(tok, "POST", base+"/Workers/"+b.acct.alice+"/Reservations/"+wr, map[string]any{"ReservationStatus": "accepted"})
	if st != 400 || !strings.Contains(body["message"].(string), "cannot be accepted") || body["code"] == nil {
		t.Fatalf("second accept: %d %v", st, body)
	}
	st, body = b.post(tok, "POST", base+"/Workers/"+b.acct.alice+"/Reservations/"+wr, map[string]any{"ReservationStatus": "wrapping"})
	if st != 200 || body["payload"].(map[string]any)["reservation_status"] != "wrapping" {
		t.Fatalf("wrap: %d %v", st, body)
	}
	s.await("reservation.wrapup")
	s.await("task.wrapup")
	st, _ = b.post(tok, "POST", base+"/Tasks/"+task.SID, map[string]any{"AssignmentStatus": "completed", "Reason": "done"})
	if st != 200 {
		t.Fatal("complete")
	}
	s.await("reservation.completed")
	if f := s.await("task.completed"); f.Payload["reason"] != "done" {
		t.Fatalf("task.completed %v", f.Payload)
	}
}

// TestNoAcceptedPushForAnUnknownReservation: the SDK throws on
// reservation.accepted for a reservation it does not hold.
func TestNoAcceptedPushForAnUnknownReservation(t *testing.T) {
	b := newBridge(t, Options{})
	s := b.mustDial("alice", "")
	var task *taskrouter.Task
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		task, _ = tr.CreateTask(b.acct.ws, taskrouter.CreateTaskParams{WorkflowSID: b.acct.workflow})
		return nil
	})
	wr := s.await("reservation.created").Payload["sid"].(string)
	b.srv.mu.Lock()
	h := b.srv.hubs[b.acct.SID()]
	b.srv.mu.Unlock()
	h.mu.Lock()
	for ss := range h.sessions[b.acct.alice] {
		delete(ss.reservations, wr) // as if the SDK had missed reservation.created
	}
	h.mu.Unlock()
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		_, err := tr.UpdateReservation(b.acct.ws, wr, taskrouter.UpdateReservationParams{ReservationStatus: "accepted"})
		return err
	})
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		st, r := "completed", "done"
		_, err := tr.UpdateTask(b.acct.ws, task.SID, taskrouter.UpdateTaskParams{AssignmentStatus: &st, Reason: &r})
		return err
	})
	for {
		f := s.next()
		if f.EventType == "reservation.accepted" {
			t.Fatal("reservation.accepted pushed for a reservation the SDK does not hold")
		}
		if f.EventType == "reservation.completed" { // safe: the SDK skips unknown ones
			return
		}
	}
}

// TestUnknownActivityReconnects: an activity created after the SDK read
// the list would crash it; the socket is closed so it reconnects instead.
func TestUnknownActivityReconnects(t *testing.T) {
	b := newBridge(t, Options{})
	s := b.mustDial("alice", "")
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		a, err := tr.CreateActivity(b.acct.ws, taskrouter.CreateActivityParams{FriendlyName: "Lunch"})
		if err != nil {
			return err
		}
		lunch := a.SID
		_, err = tr.UpdateWorker(b.acct.ws, b.acct.alice, taskrouter.UpdateWorkerParams{ActivitySID: &lunch})
		return err
	})
	for {
		select {
		case raw, ok := <-s.frames:
			if !ok {
				return
			}
			if strings.Contains(raw, "worker.activity.update") {
				t.Fatalf("pushed an activity the SDK never read: %s", raw)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("socket not closed")
		}
	}
}

func TestOverflowClosesOnlyThatSession(t *testing.T) {
	s := &session{out: make(chan []byte, 2), done: make(chan struct{})}
	for i := 0; i < 3; i++ {
		s.push([]byte("x"))
	}
	select {
	case <-s.done:
	default:
		t.Fatal("a full queue did not close the session")
	}
	if s.reason != reasonOverflow {
		t.Errorf("reason %v", s.reason)
	}
}

func TestEnvelopeRoutesAndErrors(t *testing.T) {
	b := newBridge(t, Options{})
	tok := b.acct.token("alice", time.Hour)
	base := "Workspaces/" + b.acct.ws
	// Paging: PageSize 2 of 3 activities, then the rest with AfterSid.
	st, body := b.post(tok, "GET", base+"/Activities", map[string]any{"PageSize": 2})
	p := body["payload"].(map[string]any)
	if st != 200 || len(p["contents"].([]any)) != 2 || p["after_sid"] == nil {
		t.Fatalf("page 1: %d %v", st, body)
	}
	_, body = b.post(tok, "GET", base+"/Activities", map[string]any{"PageSize": 2, "AfterSid": p["after_sid"]})
	p = body["payload"].(map[string]any)
	if len(p["contents"].([]any)) != 1 || p["after_sid"] != nil {
		t.Fatalf("page 2: %v", body)
	}
	// Another workspace is refused; unknown and unsupported routes are clear 4xx.
	for _, c := range []struct {
		method, url string
		params      map[string]any
		status      int
		msg         string
	}{
		{"GET", "Workspaces/WS00000000000000000000000000000000/Activities", nil, 403, "workspace"},
		{"GET", base + "/Nope", nil, 404, "no route"},
		{"POST", base + "/Workers/" + b.acct.alice + "/Transfers", map[string]any{"To": "WK1"}, 400, "not supported by flexemu"},
		{"POST", base + "/Tasks/WT1/Reservations/WR1", map[string]any{"Instruction": "supervise"}, 400, "not supported by flexemu"},
		{"POST", base + "/Workers/" + b.acct.alice, map[string]any{"ActivitySid": "WAnope"}, 400, "ActivitySid"},
		{"GET", base + "/Tasks/WT00000000000000000000000000000000", nil, 404, ""},
	} {
		st, body := b.post(tok, c.method, c.url, c.params)
		msg, _ := body["message"].(string)
		if st != c.status || !strings.Contains(msg, c.msg) {
			t.Errorf("%s %s: %d %v", c.method, c.url, st, body)
		}
	}
	// Attributes as a nested object keep their order; booleans are "true".
	st, body = b.post(tok, "POST", base+"/Workers/"+b.acct.alice, map[string]any{"Attributes": json.RawMessage(`{"z":1,"a":{"b":true}}`)})
	if st != 200 || body["payload"].(map[string]any)["attributes"] != `{"z":1,"a":{"b":true}}` {
		t.Fatalf("attributes: %d %v", st, body)
	}
	// Bad JSON and a missing token.
	resp, _ := http.Post(b.http.URL+Path, "application/x-www-form-urlencoded", strings.NewReader("ActivitySid=WA1"))
	if resp.StatusCode != 400 {
		t.Errorf("form body: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if st, _ := b.post("", "GET", base+"/Activities", nil); st != 401 {
		t.Errorf("no token: %d", st)
	}
	// A workspace-only token (the SDK's Workspace object) reads the workspace
	// but cannot open a worker's socket.
	ws := b.acct.token("supervisor-without-worker", time.Hour)
	if st, body := b.post(ws, "GET", base+"/TaskQueues", map[string]any{"PageSize": 1000}); st != 200 {
		t.Errorf("workspace token: %d %v", st, body)
	}
	if _, resp, err := b.dial(ws, ""); err == nil || resp.StatusCode != 404 {
		t.Errorf("socket for a token without a worker: %v %v", err, resp)
	}
}

func TestFormOf(t *testing.T) {
	var params map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"PageSize":1000,"Active":"true","Reject":false,"Gone":null,"Attributes":{"b": [1, 2],"a":"x"}}`), &params)
	form, err := formOf(params)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PageSize": "1000", "Active": "true", "Reject": "false", "Attributes": `{"b":[1,2],"a":"x"}`}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, form.Get(k), v)
		}
	}
	if _, ok := form["Gone"]; ok {
		t.Error("null kept")
	}
}

func TestRawQueryKeepsTheToken(t *testing.T) {
	q := rawQuery("token=eyJ.a-b_c.d+e&closeExistingSessions=true&clientVersion=2.1.1")
	if q["token"] != "eyJ.a-b_c.d+e" || q["closeExistingSessions"] != "true" || q["clientVersion"] != "2.1.1" {
		t.Fatalf("%v", q)
	}
}

func TestChannelPushes(t *testing.T) {
	b := newBridge(t, Options{})
	s := b.mustDial("alice", "")
	var chat *taskrouter.WorkerChannel
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		capacity, off := 3, false
		var err error
		if chat, err = tr.UpdateWorkerChannel(b.acct.ws, b.acct.alice, "chat", taskrouter.UpdateWorkerChannelParams{Capacity: &capacity}); err != nil {
			return err
		}
		_, err = tr.UpdateWorkerChannel(b.acct.ws, b.acct.alice, "voice", taskrouter.UpdateWorkerChannelParams{Available: &off})
		return err
	})
	f := s.next()
	if f.EventType != "worker.capacity.update" || f.Payload["sid"] != chat.SID || f.Payload["configured_capacity"] != float64(3) {
		t.Fatalf("first push %v", f)
	}
	if _, ok := f.Payload["last_reserved_time"]; !ok {
		t.Error("last_reserved_time missing")
	}
	f = s.next()
	if f.EventType != "worker.channel.availability.update" || f.Payload["task_channel_unique_name"] != "voice" || f.Payload["available"] != false {
		t.Fatalf("second push %v", f)
	}
	// A reservation sets last_reserved_time, in milliseconds.
	_ = b.acct.Do(func(tr *taskrouter.Engine) error {
		_, err := tr.CreateTask(b.acct.ws, taskrouter.CreateTaskParams{WorkflowSID: b.acct.workflow})
		return err
	})
	s.await("reservation.created")
	tok := b.acct.token("alice", time.Hour)
	_, body := b.post(tok, "GET", "Workspaces/"+b.acct.ws+"/Workers/"+b.acct.alice+"/WorkerChannels", map[string]any{"PageSize": 1000})
	found := false
	for _, c := range body["payload"].(map[string]any)["contents"].([]any) {
		ch := c.(map[string]any)
		if ch["task_channel_unique_name"] == "default" {
			ms, _ := ch["last_reserved_time"].(float64)
			if want := float64(b.acct.clk.Now().UnixMilli()); ms != want {
				t.Errorf("last_reserved_time %v, want %v (ms)", ch["last_reserved_time"], want)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("channels %v", body)
	}
}
