package flex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio/twiliotest"
)

// snapWorld is a Flex engine with every kind of state: interactions with
// open, parked and closed channels; customer, agent and external
// participants; re-route invites; active (accepted and waiting), completed
// and failed transfers; a configuration update.
type snapWorld struct {
	*transferFixture
	channels [][2]string // interaction, channel
	trs      [][3]string // interaction, channel, transfer
}

func newSnapWorld(t *testing.T) *snapWorld {
	t.Helper()
	w := &snapWorld{transferFixture: newTransferFixture(t)}
	e := w.eng
	w.channels = append(w.channels, [2]string{w.in.SID, w.in.ChannelSID})
	w.clk.Advance(time.Second)
	// 1: a warm transfer alice → bob, accepted, not yet completed.
	warm := w.transfer(t, CreateTransferParams{Type: TransferWarm, To: bobSID, Attributes: map[string]any{"n": 1.5}})
	w.accept(t, warm.TaskSID, bobSID, "bob")
	w.trs = append(w.trs, [3]string{w.in.SID, w.in.ChannelSID, warm.SID})
	if _, err := e.CreateParticipant(w.in.SID, w.in.ChannelSID, CreateParticipantParams{Type: "external",
		MediaProperties: map[string]any{"address": "x@example.com", "n": 3.0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateInteraction(w.in.SID, "ttid_1"); err != nil {
		t.Fatal(err)
	}

	// 2: a cold transfer to a queue nobody has accepted yet, and one that failed.
	w.clk.Advance(time.Second)
	in2 := w.newInteraction(t, "alice")
	w.clk.Advance(time.Second)
	failed := w.transferOn(t, in2, CreateTransferParams{To: salesSID})
	if _, err := e.UpdateTransfer(in2.SID, in2.ChannelSID, failed.SID, TransferFailed); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Second)
	cold := w.transferOn(t, in2, CreateTransferParams{To: salesSID, Priority: ptr(5)})
	w.trs = append(w.trs, [3]string{in2.SID, in2.ChannelSID, failed.SID}, [3]string{in2.SID, in2.ChannelSID, cold.SID})

	// 3: parked, re-routed; 4: closed after its agent wrapped up.
	w.clk.Advance(time.Second)
	in3 := w.newInteraction(t, "")
	if _, err := e.UpdateChannel(in3.SID, in3.ChannelSID, UpdateChannelParams{Status: StatusInactive, RoutingStatus: "closed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateInvite(in3.SID, in3.ChannelSID, RoutingParams{WorkflowSID: workflow,
		TaskChannelUniqueName: "chat", WorkerSID: aliceSID, Attributes: map[string]any{"again": true}}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Second)
	in4 := w.newInteraction(t, "carol")
	ps, _ := e.Participants(in4.SID, in4.ChannelSID)
	if _, err := e.UpdateParticipant(in4.SID, in4.ChannelSID, ps[1].SID, "closed"); err != nil {
		t.Fatal(err)
	}
	w.channels = append(w.channels, [2]string{in2.SID, in2.ChannelSID}, [2]string{in3.SID, in3.ChannelSID},
		[2]string{in4.SID, in4.ChannelSID})
	if err := e.UpdateConfiguration(map[string]any{"ui_attributes": map[string]any{"colorTheme": map[string]any{"x": 1.0}},
		"crm_enabled": true, "ui_language": nil}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute)
	return w
}

// newInteraction creates an SMS interaction; agent, when set, accepts it.
func (w *snapWorld) newInteraction(t *testing.T, agent string) *Interaction {
	t.Helper()
	in, err := w.eng.CreateInteraction(smsParams(map[string]any{"topic": agent}))
	if err != nil {
		t.Fatal(err)
	}
	if agent != "" {
		worker := map[string]string{"alice": aliceSID, "carol": "WK00000000000000000000000000000003"}[agent]
		ev := ReservationAccepted{WorkspaceSID: workspace, TaskSID: in.Task.SID, ReservationSID: "WR" + in.Task.SID[2:],
			WorkerSID: worker, WorkerName: agent, TaskAttributes: map[string]any{attrChannelSID: in.ChannelSID}}
		if err := w.eng.ReservationAccepted(ev); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func (w *snapWorld) transferOn(t *testing.T, in *Interaction, p CreateTransferParams) Transfer {
	t.Helper()
	tr, err := w.eng.CreateTransfer(in.SID, in.ChannelSID, p)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// restoreInto restores snap into a fresh engine on a fresh env at w's
// virtual time, its fake TaskRouter numbering tasks on from w's.
func (w *snapWorld) restoreInto(t *testing.T, snap json.RawMessage) (*fixture, error) {
	t.Helper()
	f := newFixture(t)
	f.clk.Advance(w.clk.Now().Sub(f.clk.Now()))
	f.tr.tasks = append(f.tr.tasks, w.tr.tasks...)
	f.eng = New(f.env, f.conv, namingTaskRouter{f.tr})
	before := f.env.Timeline.Last()
	err := f.eng.Restore(snap)
	if f.env.Timeline.Last() != before {
		t.Error("Restore recorded timeline entries")
	}
	return f, err
}

// reads is every REST read of the engine's resources, in a fixed order.
func reads(t *testing.T, eng *Engine, w *snapWorld) []string {
	t.Helper()
	srv := twiliotest.Serve(t, Product, eng, Routes())
	get := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Host = Product.Host
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return path + " " + string(b)
	}
	out := []string{get("/v1/Interactions"), get("/v1/Interactions?PageSize=1&Page=1"), get("/v1/Configuration")}
	for _, c := range w.channels {
		base := "/v1/Interactions/" + c[0]
		ch := base + "/Channels/" + c[1]
		out = append(out, get(base), get(base+"/Channels"), get(ch), get(ch+"/Invites"), get(ch+"/Participants"))
	}
	for _, tr := range w.trs {
		out = append(out, get(fmt.Sprintf("/v1/Interactions/%s/Channels/%s/Transfers/%s", tr[0], tr[1], tr[2])))
	}
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.restoreInto(t, snap)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.eng.Snapshot()
	if err != nil || !bytes.Equal(again, snap) {
		t.Fatalf("snapshot of the restored engine differs (%v): %s", err, firstDiff(snap, again))
	}
	want, got := reads(t, w.eng, w), reads(t, f.eng, w)
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("read differs:\n%s\n%s", want[i], got[i])
		}
	}
	for _, s := range []string{`"customer_address":"+15552223333"`, `"media_properties":null`, `"task_status":"completed"`,
		`"status":"closed"`, `"joined":"UT`, `"crm_enabled":true`, `"ui_language":null`} {
		if !strings.Contains(string(snap), s) {
			t.Errorf("snapshot lacks %s", s)
		}
	}
	// The interaction and its first invite share one task, as on creation.
	in := f.eng.interactions[w.in.SID]
	if in.Task != f.eng.channels[in.ChannelSID].invites[0].Task {
		t.Error("the interaction's task is not its first invite's")
	}
	if f.eng.ChannelForTask(w.in.Task.SID); len(f.eng.taskChannel) != len(w.eng.taskChannel) {
		t.Errorf("task index = %v, want %v", f.eng.taskChannel, w.eng.taskChannel)
	}
}

// TestSnapshotRestoredEngineWorks: the restored engine carries on from the
// saved state: a waiting transfer completes when accepted, an accepted one
// completes, a canceled task fails its transfer, and new interactions list
// after the old ones.
func TestSnapshotRestoredEngineWorks(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.restoreInto(t, snap)
	if err != nil {
		t.Fatal(err)
	}
	e := f.eng
	warm, coldTr := w.trs[0], w.trs[2]
	got, err := e.UpdateTransfer(warm[0], warm[1], warm[2], TransferCompleted)
	if err != nil || got.Status != TransferCompleted || got.InstanceSID != w.eng.transfers.instanceSID {
		t.Fatalf("completing the restored warm transfer = %+v, %v", got, err)
	}
	cold, _ := e.Transfer(coldTr[0], coldTr[1], coldTr[2])
	e.TaskCanceled(cold.TaskSID, "timeout")
	if s, _ := e.Transfer(coldTr[0], coldTr[1], coldTr[2]); s.Status != TransferFailed {
		t.Errorf("cold transfer after its task timed out = %s", s.Status)
	}
	// alice (on interaction 2) can transfer again now that her transfer failed.
	if _, err := e.CreateTransfer(coldTr[0], coldTr[1], CreateTransferParams{To: bobSID}); err != nil {
		t.Fatal(err)
	}
	in, err := e.CreateInteraction(smsParams(nil))
	if err != nil {
		t.Fatal(err)
	}
	list := e.Interactions()
	if len(list) != 5 || list[4].SID != in.SID || list[0].SID != w.in.SID {
		t.Fatalf("interactions after restore+create = %d, last %s", len(list), list[len(list)-1].SID)
	}
	if _, err := e.CreateTransfer(w.channels[3][0], w.channels[3][1], CreateTransferParams{To: bobSID}); err == nil {
		t.Error("a closed restored channel accepted a transfer")
	}
	seen := map[string]bool{}
	for _, ch := range e.channels {
		for _, inv := range ch.invites {
			if seen[inv.Task.SID] {
				t.Errorf("task %s routed twice", inv.Task.SID)
			}
			seen[inv.Task.SID] = true
		}
	}
}

func TestSnapshotEmptyEngine(t *testing.T) {
	f := newFixture(t)
	snap, err := f.eng.Snapshot()
	if err != nil || string(snap) != `{"interactions":[],"instance_sid":"","transfers":[],"configuration":null}` {
		t.Fatalf("empty snapshot = %s, %v", snap, err)
	}
	g := newFixture(t)
	if err := g.eng.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if again, _ := g.eng.Snapshot(); !bytes.Equal(again, snap) {
		t.Fatalf("restored empty snapshot = %s", again)
	}
}

func TestRestoreRejectsBadData(t *testing.T) {
	w := newSnapWorld(t)
	snap, err := w.eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	good := string(snap)
	var doc map[string]any
	if err := json.Unmarshal(snap, &doc); err != nil {
		t.Fatal(err)
	}
	// mutate returns the good snapshot with one change made to its decoded form.
	mutate := func(change func(d map[string]any)) string {
		var d map[string]any
		_ = json.Unmarshal(snap, &d)
		change(d)
		b, _ := json.Marshal(d)
		return string(b)
	}
	ins := func(d map[string]any) []any { return d["interactions"].([]any) }
	first := func(d map[string]any) map[string]any { return ins(d)[0].(map[string]any) }
	channel := func(d map[string]any) map[string]any { return first(d)["channel"].(map[string]any) }
	transfer := func(d map[string]any) map[string]any { return d["transfers"].([]any)[0].(map[string]any) }
	cases := map[string]string{
		"not json":                  good[:len(good)/2],
		"trailing":                  good + "{}",
		"unknown field":             strings.Replace(good, `{"interactions"`, `{"x":1,"interactions"`, 1),
		"wrong type":                mutate(func(d map[string]any) { d["interactions"] = "many" }),
		"bad date":                  mutate(func(d map[string]any) { first(d)["date_created"] = "monday" }),
		"bad interaction sid":       mutate(func(d map[string]any) { first(d)["sid"] = "KD1" }),
		"duplicate interaction":     mutate(func(d map[string]any) { d["interactions"] = append(ins(d), ins(d)[0]) }),
		"dangling interaction task": mutate(func(d map[string]any) { first(d)["task_sid"] = "WT99999999999999999999999999999999" }),
		"unknown channel status":    mutate(func(d map[string]any) { channel(d)["status"] = "asleep" }),
		"invite without task":       mutate(func(d map[string]any) { channel(d)["invites"].([]any)[0].(map[string]any)["task"] = map[string]any{} }),
		"bad participant type":      mutate(func(d map[string]any) { channel(d)["participants"].([]any)[0].(map[string]any)["type"] = "robot" }),
		"dangling transfer channel": mutate(func(d map[string]any) {
			transfer(d)["channel_sid"] = "UO99999999999999999999999999999999"
		}),
		"dangling transfer task": mutate(func(d map[string]any) { transfer(d)["task_sid"] = "WT99999999999999999999999999999999" }),
		"dangling transfer from": mutate(func(d map[string]any) { transfer(d)["from"] = "UT99999999999999999999999999999999" }),
		"dangling joined":        mutate(func(d map[string]any) { transfer(d)["joined"] = "UT99999999999999999999999999999999" }),
		"bad transfer status":    mutate(func(d map[string]any) { transfer(d)["status"] = "pending" }),
		"transfers, no instance": mutate(func(d map[string]any) { d["instance_sid"] = "" }),
		"read-only config field": mutate(func(d map[string]any) { d["configuration"].(map[string]any)["set"].(map[string]any)["status"] = "x" }),
		"config field kind": mutate(func(d map[string]any) {
			d["configuration"].(map[string]any)["set"].(map[string]any)["crm_enabled"] = "yes"
		}),
	}
	for name, data := range cases {
		f := newFixture(t)
		if err := f.eng.Restore(json.RawMessage(data)); err == nil {
			t.Errorf("%s: restored", name)
		}
		if len(f.eng.interactions) != 0 || len(f.eng.order) != 0 || len(f.eng.channels) != 0 ||
			len(f.eng.taskChannel) != 0 || f.eng.transfers.bySID != nil || f.eng.config != nil {
			t.Errorf("%s: engine not left empty", name)
		}
	}
	f := newFixture(t)
	if err := f.eng.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Restore(snap); err == nil {
		t.Error("restored into an engine holding state")
	}
}

// firstDiff shows where two snapshots part, with some context.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-80, 0)
	return fmt.Sprintf("at byte %d:\n  …%s\n  …%s", i, a[lo:min(i+80, len(a))], b[lo:min(i+80, len(b))])
}
