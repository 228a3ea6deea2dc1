package flex

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

const (
	aliceSID = "WK00000000000000000000000000000001"
	bobSID   = "WK00000000000000000000000000000002"
	salesSID = "WQ00000000000000000000000000000009"
)

// namingTaskRouter is the fake TaskRouter that also names transfer targets.
type namingTaskRouter struct{ *fakeTaskRouter }

func (n namingTaskRouter) TargetName(ws, sid string) (string, error) {
	names := map[string]string{aliceSID: "alice", bobSID: "bob", salesSID: "Sales"}
	if ws != workspace || names[sid] == "" {
		return "", twilio.NotFound("/Workspaces/" + ws + "/" + sid)
	}
	return names[sid], nil
}

// transferFixture is an interaction whose task alice has accepted.
type transferFixture struct {
	*fixture
	in    *Interaction
	alice Participant
}

func newTransferFixture(t *testing.T) *transferFixture {
	t.Helper()
	f := newFixture(t)
	f.eng = New(f.env, f.conv, namingTaskRouter{f.tr})
	in, err := f.eng.CreateInteraction(smsParams(map[string]any{"from": "+15552223333", "topic": "billing"}))
	if err != nil {
		t.Fatal(err)
	}
	tf := &transferFixture{fixture: f, in: in}
	tf.accept(t, in.Task.SID, aliceSID, "alice")
	tf.alice = tf.agent(t, aliceSID)
	return tf
}

// accept is TaskRouter telling Flex that worker accepted task.
func (tf *transferFixture) accept(t *testing.T, task, worker, name string) {
	t.Helper()
	ev := ReservationAccepted{WorkspaceSID: workspace, TaskSID: task, ReservationSID: "WR" + task[2:],
		WorkerSID: worker, WorkerName: name, WorkerAttributes: map[string]any{"contact_uri": "client:" + name},
		TaskAttributes: map[string]any{attrChannelSID: tf.in.ChannelSID}}
	if err := tf.eng.ReservationAccepted(ev); err != nil {
		t.Fatal(err)
	}
}

// agent returns the agent participant of worker.
func (tf *transferFixture) agent(t *testing.T, worker string) Participant {
	t.Helper()
	ps, _ := tf.eng.Participants(tf.in.SID, tf.in.ChannelSID)
	for _, p := range ps {
		if p.Type == "agent" && p.RoutingProperties["worker_sid"] == worker {
			return p
		}
	}
	t.Fatalf("worker %s is no agent participant: %+v", worker, ps)
	return Participant{}
}

func (tf *transferFixture) transfer(t *testing.T, p CreateTransferParams) Transfer {
	t.Helper()
	tr, err := tf.eng.CreateTransfer(tf.in.SID, tf.in.ChannelSID, p)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func (tf *transferFixture) status(t *testing.T, sid string) string {
	t.Helper()
	tr, err := tf.eng.Transfer(tf.in.SID, tf.in.ChannelSID, sid)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status
}

func (tf *transferFixture) kinds() []string {
	var out []string
	for _, en := range tf.env.Timeline.Since(0) {
		if en.Product == product && strings.HasPrefix(en.Type, "transfer.") {
			out = append(out, en.Type)
		}
	}
	return out
}

func TestColdTransferToQueue(t *testing.T) {
	tf := newTransferFixture(t)
	tr := tf.transfer(t, CreateTransferParams{Type: "cold", From: tf.alice.SID, To: salesSID})
	if tr.Status != TransferActive || tr.Type != "cold" || tr.From != tf.alice.SID || tr.To != salesSID ||
		!twilio.IsSID(tr.SID, "UX") || !twilio.IsSID(tr.InstanceSID, "GO") || tr.AccountSID != tf.env.AccountSID {
		t.Fatalf("transfer = %+v", tr)
	}
	// The second task: routed to the queue, the first task's attributes
	// plus the transfer keys, and a new invite.
	if len(tf.tr.tasks) != 2 {
		t.Fatalf("%d tasks created", len(tf.tr.tasks))
	}
	spec := tf.tr.tasks[1]
	if spec.RoutingTarget != salesSID || spec.WorkflowSID != workflow || spec.TaskChannel != "chat" {
		t.Errorf("transfer task spec = %+v", spec)
	}
	var attrs map[string]any
	_ = json.Unmarshal([]byte(spec.Attributes), &attrs)
	if attrs["topic"] != "billing" || attrs["from"] != "+15552223333" || attrs["transferTargetType"] != "queue" ||
		attrs["transferTargetSid"] != salesSID || attrs["transferQueueName"] != "Sales" ||
		attrs[attrInviteSID] != tr.InviteSID || attrs[attrChannelSID] != tf.in.ChannelSID ||
		attrs["conversations"].(map[string]any)["conversation_id"] != tf.in.SID {
		t.Errorf("transfer task attributes = %v", attrs)
	}
	invs, _ := tf.eng.Invites(tf.in.SID, tf.in.ChannelSID)
	if len(invs) != 2 || invs[1].SID != tr.InviteSID || invs[1].Task.SID != tr.TaskSID {
		t.Errorf("invites = %+v", invs)
	}
	if ch, ok := tf.eng.ChannelForTask(tr.TaskSID); !ok || ch.SID != tf.in.ChannelSID {
		t.Errorf("ChannelForTask(%s) = %v", tr.TaskSID, ok)
	}
	if len(tf.tr.updates) != 0 {
		t.Errorf("task updates before accept: %v", tf.tr.updates)
	}

	// bob accepts: he joins, alice leaves and her task wraps.
	tf.accept(t, tr.TaskSID, bobSID, "bob")
	if tf.agent(t, bobSID).Status != "active" || tf.agent(t, aliceSID).Status != "wrapup" {
		t.Errorf("participants after accept: bob %s, alice %s", tf.agent(t, bobSID).Status, tf.agent(t, aliceSID).Status)
	}
	if want := []string{tf.in.Task.SID + ":wrapping"}; !reflect.DeepEqual(tf.tr.updates, want) {
		t.Errorf("task updates = %v, want %v", tf.tr.updates, want)
	}
	if want := []string{convSID + "/alice", convSID + "/bob"}; !reflect.DeepEqual(tf.conv.agents, want) {
		t.Errorf("conversation agents = %v", tf.conv.agents)
	}
	if got := tf.status(t, tr.SID); got != TransferCompleted {
		t.Errorf("status = %s", got)
	}
	if want := []string{"transfer.created", "transfer.accepted", "transfer.completed"}; !reflect.DeepEqual(tf.kinds(), want) {
		t.Errorf("timeline = %v", tf.kinds())
	}
	// Completing again is harmless; failing it is not allowed.
	if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "completed"); err != nil {
		t.Error(err)
	}
	if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "failed"); twilio.AsError(err).Status != 400 {
		t.Errorf("fail a completed transfer: %v", err)
	}
}

func TestWarmTransferToWorker(t *testing.T) {
	tf := newTransferFixture(t)
	// From may be left out when the channel has one active agent.
	tr := tf.transfer(t, CreateTransferParams{Type: "warm", To: bobSID, Attributes: map[string]any{"note": "VIP"}})
	if tr.From != tf.alice.SID {
		t.Errorf("from = %s, want %s", tr.From, tf.alice.SID)
	}
	spec := tf.tr.tasks[1]
	var attrs map[string]any
	_ = json.Unmarshal([]byte(spec.Attributes), &attrs)
	if spec.RoutingTarget != bobSID || attrs["transferTargetType"] != "worker" || attrs["note"] != "VIP" {
		t.Errorf("spec = %+v", spec)
	}
	if _, ok := attrs["transferQueueName"]; ok {
		t.Errorf("worker transfer has transferQueueName: %v", attrs)
	}
	if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "completed"); twilio.AsError(err).Status != 400 {
		t.Errorf("complete before accept: %v", err)
	}

	tf.accept(t, tr.TaskSID, bobSID, "bob")
	// Warm: both agents are in the conversation, the transfer is still active.
	if tf.agent(t, bobSID).Status != "active" || tf.agent(t, aliceSID).Status != "active" || len(tf.tr.updates) != 0 {
		t.Fatalf("after accept: alice %s, updates %v", tf.agent(t, aliceSID).Status, tf.tr.updates)
	}
	if got := tf.status(t, tr.SID); got != TransferActive {
		t.Errorf("status after accept = %s", got)
	}
	if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "failed"); twilio.AsError(err).Status != 400 {
		t.Errorf("fail an accepted transfer: %v", err)
	}
	got, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "completed")
	if err != nil || got.Status != TransferCompleted {
		t.Fatalf("complete = %+v, %v", got, err)
	}
	if tf.agent(t, aliceSID).Status != "wrapup" || !reflect.DeepEqual(tf.tr.updates, []string{tf.in.Task.SID + ":wrapping"}) {
		t.Errorf("after complete: alice %s, updates %v", tf.agent(t, aliceSID).Status, tf.tr.updates)
	}
}

func TestWarmTransferCompletesWhenTheFirstAgentLeaves(t *testing.T) {
	tf := newTransferFixture(t)
	tr := tf.transfer(t, CreateTransferParams{Type: "warm", To: bobSID})
	tf.accept(t, tr.TaskSID, bobSID, "bob")
	// alice wraps up through the Participants endpoint, as Flex UI does.
	if _, err := tf.eng.UpdateParticipant(tf.in.SID, tf.in.ChannelSID, tf.alice.SID, "wrapup"); err != nil {
		t.Fatal(err)
	}
	if got := tf.status(t, tr.SID); got != TransferCompleted {
		t.Errorf("status = %s", got)
	}
}

func TestTransferFails(t *testing.T) {
	t.Run("withdrawn", func(t *testing.T) {
		tf := newTransferFixture(t)
		tr := tf.transfer(t, CreateTransferParams{Type: "warm", To: bobSID})
		got, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "failed")
		if err != nil || got.Status != TransferFailed {
			t.Fatalf("fail = %+v, %v", got, err)
		}
		if want := []string{tr.TaskSID + ":completed"}; !reflect.DeepEqual(tf.tr.updates, want) {
			t.Errorf("updates = %v, want %v (the adapter cancels a task not yet assigned)", tf.tr.updates, want)
		}
		if tf.agent(t, aliceSID).Status != "active" {
			t.Error("alice left on a failed transfer")
		}
		// A late acceptance no longer changes the transfer.
		tf.accept(t, tr.TaskSID, bobSID, "bob")
		if got := tf.status(t, tr.SID); got != TransferFailed {
			t.Errorf("status = %s", got)
		}
		// alice may transfer again (From is needed now that bob is in too).
		if _, err := tf.eng.CreateTransfer(tf.in.SID, tf.in.ChannelSID, CreateTransferParams{To: salesSID}); twilio.AsError(err).Status != 400 {
			t.Errorf("ambiguous From: %v", err)
		}
		tf.transfer(t, CreateTransferParams{From: tf.alice.SID, To: salesSID})
	})
	t.Run("task canceled", func(t *testing.T) {
		tf := newTransferFixture(t)
		tr := tf.transfer(t, CreateTransferParams{To: salesSID})
		tf.eng.TaskCanceled(tr.TaskSID, "Task TTL Exceeded")
		if got := tf.status(t, tr.SID); got != TransferFailed {
			t.Errorf("status = %s", got)
		}
		tf.eng.TaskCanceled("WT99999999999999999999999999999999", "") // other tasks: ignored
		if want := []string{"transfer.created", "transfer.failed"}; !reflect.DeepEqual(tf.kinds(), want) {
			t.Errorf("timeline = %v", tf.kinds())
		}
	})
	t.Run("channel closed", func(t *testing.T) {
		tf := newTransferFixture(t)
		tr := tf.transfer(t, CreateTransferParams{To: salesSID})
		if _, err := tf.eng.UpdateChannel(tf.in.SID, tf.in.ChannelSID, UpdateChannelParams{Status: "closed"}); err != nil {
			t.Fatal(err)
		}
		if got := tf.status(t, tr.SID); got != TransferFailed {
			t.Errorf("status = %s", got)
		}
	})
}

func TestTransferToWorkflow(t *testing.T) {
	tf := newTransferFixture(t)
	tr := tf.transfer(t, CreateTransferParams{To: workflow})
	spec := tf.tr.tasks[1]
	if tr.TargetType != "workflow" || spec.RoutingTarget != "" || spec.WorkflowSID != workflow {
		t.Errorf("transfer %+v, spec %+v", tr, spec)
	}
}

func TestCreateTransferValidation(t *testing.T) {
	tf := newTransferFixture(t)
	other := Participant{}
	ps, _ := tf.eng.Participants(tf.in.SID, tf.in.ChannelSID)
	for _, p := range ps {
		if p.Type == "customer" {
			other = p
		}
	}
	tests := []struct {
		name   string
		p      CreateTransferParams
		status int
		msg    string
	}{
		{"no target", CreateTransferParams{}, 400, "To"},
		{"bad target", CreateTransferParams{To: "alice"}, 400, "To"},
		{"unknown worker", CreateTransferParams{To: "WK99999999999999999999999999999999"}, 404, ""},
		{"to self", CreateTransferParams{To: aliceSID}, 400, "transferring agent"},
		{"external", CreateTransferParams{Type: "external", To: bobSID}, 400, "external"},
		{"bad type", CreateTransferParams{Type: "lukewarm", To: bobSID}, 400, "Type"},
		{"from customer", CreateTransferParams{From: other.SID, To: bobSID}, 400, "not an active agent"},
		{"from unknown", CreateTransferParams{From: "UT99999999999999999999999999999999", To: bobSID}, 400, "From"},
		{"bad workflow", CreateTransferParams{To: bobSID, WorkflowSID: "WW99999999999999999999999999999999"}, 404, ""},
		{"bad priority", CreateTransferParams{To: bobSID, Priority: ptr(-1)}, 400, "Priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tf.eng.CreateTransfer(tf.in.SID, tf.in.ChannelSID, tt.p)
			if te := twilio.AsError(err); te.Status != tt.status || !strings.Contains(te.Message, tt.msg) {
				t.Errorf("err = %v, want %d %q", err, tt.status, tt.msg)
			}
		})
	}
	if len(tf.tr.tasks) != 1 {
		t.Errorf("%d tasks created by refused transfers", len(tf.tr.tasks)-1)
	}
	if _, err := tf.eng.CreateTransfer(tf.in.SID, "UO99999999999999999999999999999999", CreateTransferParams{To: bobSID}); twilio.AsError(err).Status != 404 {
		t.Errorf("unknown channel: %v", err)
	}
	// One active transfer per agent.
	tf.transfer(t, CreateTransferParams{To: bobSID})
	if _, err := tf.eng.CreateTransfer(tf.in.SID, tf.in.ChannelSID, CreateTransferParams{To: salesSID}); twilio.AsError(err).Status != 409 {
		t.Errorf("second active transfer: %v", err)
	}
	// Task creation failing creates nothing.
	tf2 := newTransferFixture(t)
	tf2.tr.failCreate = errors.New("boom")
	if _, err := tf2.eng.CreateTransfer(tf2.in.SID, tf2.in.ChannelSID, CreateTransferParams{To: bobSID}); err == nil {
		t.Error("transfer created without a task")
	}
	if invs, _ := tf2.eng.Invites(tf2.in.SID, tf2.in.ChannelSID); len(invs) != 1 {
		t.Errorf("%d invites", len(invs))
	}
	// Unknown transfers.
	if _, err := tf.eng.Transfer(tf.in.SID, tf.in.ChannelSID, "UX99999999999999999999999999999999"); twilio.AsError(err).Status != 404 {
		t.Errorf("fetch unknown: %v", err)
	}
	if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, "UX99999999999999999999999999999999", "nope"); twilio.AsError(err).Status != 400 {
		t.Errorf("bad status: %v", err)
	}
}

func TestTransfersList(t *testing.T) {
	tf := newTransferFixture(t)
	var sids []string
	for i := 0; i < 3; i++ {
		tr := tf.transfer(t, CreateTransferParams{To: salesSID})
		sids = append(sids, tr.SID)
		tf.clk.Advance(1e9)
		if _, err := tf.eng.UpdateTransfer(tf.in.SID, tf.in.ChannelSID, tr.SID, "failed"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := tf.eng.Transfers(tf.in.SID, tf.in.ChannelSID)
	if err != nil || len(list) != 3 {
		t.Fatalf("list = %v, %v", list, err)
	}
	for i, tr := range list {
		if tr.SID != sids[i] {
			t.Errorf("list[%d] = %s, want %s", i, tr.SID, sids[i])
		}
	}
}

// TestInviteTransfer is the older, invite-based transfer Flex plugins do:
// an invite with the transferring task's attributes and the target; the
// target's agent joins when the reservation is accepted; the first agent
// leaves by closing their participant.
func TestInviteTransfer(t *testing.T) {
	tf := newTransferFixture(t)
	inv, err := tf.eng.CreateInvite(tf.in.SID, tf.in.ChannelSID, RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow,
		TaskChannelUniqueName: "chat", Attributes: map[string]any{"transferTargetSid": bobSID, "transferTargetType": "worker"}})
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]any
	_ = json.Unmarshal([]byte(inv.Task.Attributes), &attrs)
	if attrs["transferTargetSid"] != bobSID || attrs[attrInviteSID] != inv.SID || attrs[attrChannelSID] != tf.in.ChannelSID {
		t.Errorf("invite task attributes = %v", attrs)
	}
	tf.accept(t, inv.Task.SID, bobSID, "bob")
	if tf.agent(t, bobSID).Status != "active" || tf.agent(t, aliceSID).Status != "active" {
		t.Fatal("bob did not join beside alice")
	}
	if _, err := tf.eng.UpdateParticipant(tf.in.SID, tf.in.ChannelSID, tf.alice.SID, "closed"); err != nil {
		t.Fatal(err)
	}
	if want := []string{tf.in.Task.SID + ":completed"}; !reflect.DeepEqual(tf.tr.updates, want) {
		t.Errorf("updates = %v", tf.tr.updates)
	}
	if ch, _ := tf.eng.Channel(tf.in.SID, tf.in.ChannelSID); ch.Status != StatusActive {
		t.Errorf("channel %s after the first agent left", ch.Status)
	}
	if len(tf.kinds()) != 0 {
		t.Errorf("an invite recorded transfer entries: %v", tf.kinds())
	}
}

// TestInviteTransferKeepsTheConversation: the cold invite transfer of Flex
// plugins closes the first agent's participant right after inviting; the
// invite still awaits an agent, so the hook is told one agent remains and
// the conversation is not closed. Once the invite's task is canceled no
// agent is awaited any more.
func TestInviteTransferKeepsTheConversation(t *testing.T) {
	tf := newTransferFixture(t)
	var got []int
	tf.eng.OnParticipantUpdated(func(p ParticipantUpdated) { got = append(got, p.ActiveAgents) })
	inv, err := tf.eng.CreateInvite(tf.in.SID, tf.in.ChannelSID, RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow,
		QueueSID: salesSID, TaskChannelUniqueName: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tf.eng.UpdateParticipant(tf.in.SID, tf.in.ChannelSID, tf.alice.SID, "closed"); err != nil {
		t.Fatal(err)
	}
	tf.accept(t, inv.Task.SID, bobSID, "bob")
	bob := tf.agent(t, bobSID)
	if _, err := tf.eng.UpdateParticipant(tf.in.SID, tf.in.ChannelSID, bob.SID, "wrapup"); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("ActiveAgents = %v, want %v", got, want)
	}

	tf2 := newTransferFixture(t)
	got = nil
	tf2.eng.OnParticipantUpdated(func(p ParticipantUpdated) { got = append(got, p.ActiveAgents) })
	inv, err = tf2.eng.CreateInvite(tf2.in.SID, tf2.in.ChannelSID, RoutingParams{WorkspaceSID: workspace, WorkflowSID: workflow})
	if err != nil {
		t.Fatal(err)
	}
	tf2.eng.TaskCanceled(inv.Task.SID, "")
	if _, err := tf2.eng.UpdateParticipant(tf2.in.SID, tf2.in.ChannelSID, tf2.alice.SID, "wrapup"); err != nil {
		t.Fatal(err)
	}
	if want := []int{0}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the invite's task was canceled: ActiveAgents = %v, want %v", got, want)
	}
}
