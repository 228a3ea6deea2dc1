package flex

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

func accepted(in *Interaction, attrs map[string]any) ReservationAccepted {
	return ReservationAccepted{WorkspaceSID: workspace, TaskSID: in.Task.SID,
		ReservationSID: "WR00000000000000000000000000000001", WorkerSID: "WK00000000000000000000000000000001",
		WorkerName: "alice", WorkerAttributes: attrs, TaskAttributes: map[string]any{attrChannelSID: in.ChannelSID}}
}

func TestReservationAcceptedAddsAgent(t *testing.T) {
	tests := []struct {
		name         string
		workerAttrs  map[string]any
		wantIdentity string
	}{
		{"contact_uri", map[string]any{"contact_uri": "client:alice_40example_2Ecom"}, "alice_40example_2Ecom"},
		{"friendly name fallback", map[string]any{}, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in, err := f.eng.CreateInteraction(smsParams(nil))
			if err != nil {
				t.Fatal(err)
			}
			ev := accepted(in, tt.workerAttrs)
			if err := f.eng.ReservationAccepted(ev); err != nil {
				t.Fatal(err)
			}
			if err := f.eng.ReservationAccepted(ev); err != nil { // repeated event: no second agent
				t.Fatal(err)
			}
			if want := []string{convSID + "/" + tt.wantIdentity}; !reflect.DeepEqual(f.conv.agents, want) {
				t.Errorf("agents = %v, want %v", f.conv.agents, want)
			}
			ps, _ := f.eng.Participants(in.SID, in.ChannelSID)
			if len(ps) != 2 || ps[1].Type != "agent" {
				t.Fatalf("participants = %+v", ps)
			}
			want := map[string]any{"task_sid": in.Task.SID, "worker_sid": ev.WorkerSID, "reservation_sid": ev.ReservationSID}
			if !reflect.DeepEqual(ps[1].RoutingProperties, want) {
				t.Errorf("routing_properties = %v", ps[1].RoutingProperties)
			}
			if ps[1].MediaProperties["participantSid"] != "MB00000000000000000000000000000001" {
				t.Errorf("media = %v", ps[1].MediaProperties)
			}
		})
	}
}

func TestReservationAcceptedIgnoresOtherTasks(t *testing.T) {
	f := newFixture(t)
	err := f.eng.ReservationAccepted(ReservationAccepted{TaskSID: "WT99999999999999999999999999999999",
		WorkerName: "alice", TaskAttributes: map[string]any{"type": "voice"}})
	if err != nil || len(f.conv.agents) != 0 {
		t.Fatalf("err = %v, agents = %v", err, f.conv.agents)
	}
	// Found by task SID when the attribute is missing.
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	ev := accepted(in, nil)
	ev.TaskAttributes = nil
	if err := f.eng.ReservationAccepted(ev); err != nil || len(f.conv.agents) != 1 {
		t.Fatalf("err = %v, agents = %v", err, f.conv.agents)
	}
}

func TestReservationAcceptedConversationFailure(t *testing.T) {
	f := newFixture(t)
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	f.conv.failAdd = twilio.BadRequest("closed")
	if err := f.eng.ReservationAccepted(accepted(in, nil)); err == nil {
		t.Fatal("want error")
	}
	if ps, _ := f.eng.Participants(in.SID, in.ChannelSID); len(ps) != 1 {
		t.Errorf("agent participant stored despite failure: %+v", ps)
	}
}

func TestUpdateChannel(t *testing.T) {
	tests := []struct {
		name, status, routing string
		wantStatus            string
		wantUpdates           []string
		wantErr               string
	}{
		{name: "closed wraps tasks", status: "closed", wantStatus: "closed", wantUpdates: []string{":wrapping"}},
		{name: "closed routing closed completes", status: "closed", routing: "closed", wantStatus: "closed", wantUpdates: []string{":completed"}},
		{name: "inactive parks", status: "inactive", routing: "closed", wantStatus: "inactive", wantUpdates: []string{":completed"}},
		{name: "inactive needs routing", status: "inactive", wantErr: "Routing"},
		{name: "bad status", status: "open", wantErr: "Status"},
		{name: "bad routing status", status: "closed", routing: "done", wantErr: "Routing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in, _ := f.eng.CreateInteraction(smsParams(nil))
			var hooked []ChannelClosed
			f.eng.OnChannelClosed(func(c ChannelClosed) { hooked = append(hooked, c) })
			ch, err := f.eng.UpdateChannel(in.SID, in.ChannelSID, UpdateChannelParams{Status: tt.status, RoutingStatus: tt.routing})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if len(f.tr.updates) != 0 || len(hooked) != 0 {
					t.Error("state changed on a rejected update")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, u := range tt.wantUpdates {
				want = append(want, in.Task.SID+u)
			}
			if ch.Status != tt.wantStatus || !reflect.DeepEqual(f.tr.updates, want) {
				t.Errorf("status = %s, updates = %v, want %s %v", ch.Status, f.tr.updates, tt.wantStatus, want)
			}
			if len(hooked) != 1 || hooked[0].ConversationSID != convSID || hooked[0].Status != tt.wantStatus {
				t.Errorf("hook = %+v", hooked)
			}
		})
	}
}

func TestUpdateChannelNotFound(t *testing.T) {
	f := newFixture(t)
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	_, err := f.eng.UpdateChannel("KD00000000000000000000000000000000", in.ChannelSID, UpdateChannelParams{Status: "closed"})
	var te *twilio.Error
	if !errors.As(err, &te) || te.Status != 404 {
		t.Fatalf("err = %v", err)
	}
}

func TestParticipantLifecycleClosesChannel(t *testing.T) {
	f := newFixture(t)
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	if err := f.eng.ReservationAccepted(accepted(in, map[string]any{"contact_uri": "client:alice"})); err != nil {
		t.Fatal(err)
	}
	ps, _ := f.eng.Participants(in.SID, in.ChannelSID)
	agent := ps[1]
	var updates []ParticipantUpdated
	f.eng.OnParticipantUpdated(func(u ParticipantUpdated) { updates = append(updates, u) })
	var closed []ChannelClosed
	f.eng.OnChannelClosed(func(c ChannelClosed) { closed = append(closed, c) })

	if _, err := f.eng.UpdateParticipant(in.SID, in.ChannelSID, agent.SID, "wrapup"); err != nil {
		t.Fatal(err)
	}
	if ch, _ := f.eng.Channel(in.SID, in.ChannelSID); ch.Status != StatusActive || len(closed) != 0 {
		t.Errorf("channel closed by wrapup: %s", ch.Status)
	}
	if _, err := f.eng.UpdateParticipant(in.SID, in.ChannelSID, agent.SID, "closed"); err != nil {
		t.Fatal(err)
	}
	want := []string{in.Task.SID + ":wrapping", in.Task.SID + ":completed"}
	if !reflect.DeepEqual(f.tr.updates, want) {
		t.Errorf("updates = %v, want %v", f.tr.updates, want)
	}
	if ch, _ := f.eng.Channel(in.SID, in.ChannelSID); ch.Status != StatusClosed || len(closed) != 1 {
		t.Errorf("channel = %s, hooks = %d", ch.Status, len(closed))
	}
	if len(updates) != 2 || updates[0].ConversationParticipantSID != "MB00000000000000000000000000000001" ||
		updates[0].ActiveAgents != 0 || updates[1].Status != "closed" {
		t.Errorf("participant hooks = %+v", updates)
	}
	if _, err := f.eng.UpdateParticipant(in.SID, in.ChannelSID, agent.SID, "wrapup"); err == nil {
		t.Error("wrapup after closed accepted")
	}
	if _, err := f.eng.UpdateParticipant(in.SID, in.ChannelSID, "UT00000000000000000000000000000000", "closed"); twilio.AsError(err).Status != 404 {
		t.Errorf("unknown participant err = %v", err)
	}
}

func TestInviteReroutesParkedChannel(t *testing.T) {
	f := newFixture(t)
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	if _, err := f.eng.UpdateChannel(in.SID, in.ChannelSID, UpdateChannelParams{Status: "inactive", RoutingStatus: "closed"}); err != nil {
		t.Fatal(err)
	}
	inv, err := f.eng.CreateInvite(in.SID, in.ChannelSID, RoutingParams{WorkflowSID: workflow,
		TaskChannelUniqueName: "chat", Attributes: map[string]any{"transferTargetType": "queue"}})
	if err != nil {
		t.Fatal(err)
	}
	attrs := taskAttrs(t, inv.Task.Attributes)
	if attrs["flexChannelInviteSid"] != inv.SID || attrs["flexInteractionSid"] != in.SID ||
		attrs["conversationSid"] != convSID || attrs["transferTargetType"] != "queue" || attrs["customerAddress"] != nil {
		t.Errorf("invite task attributes = %v", attrs)
	}
	if ch, _ := f.eng.Channel(in.SID, in.ChannelSID); ch.Status != StatusActive {
		t.Errorf("channel = %s, want active again", ch.Status)
	}
	if invs, _ := f.eng.Invites(in.SID, in.ChannelSID); len(invs) != 2 {
		t.Errorf("invites = %d", len(invs))
	}
	// A closed channel takes no invites.
	if _, err := f.eng.UpdateChannel(in.SID, in.ChannelSID, UpdateChannelParams{Status: "closed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.CreateInvite(in.SID, in.ChannelSID, RoutingParams{WorkflowSID: workflow}); err == nil {
		t.Error("invite on closed channel accepted")
	}
}

func TestCreateParticipantValidation(t *testing.T) {
	f := newFixture(t)
	in, _ := f.eng.CreateInteraction(smsParams(nil))
	if _, err := f.eng.CreateParticipant(in.SID, in.ChannelSID, CreateParticipantParams{Type: "robot", MediaProperties: map[string]any{}}); err == nil {
		t.Error("bad type accepted")
	}
	if _, err := f.eng.CreateParticipant(in.SID, in.ChannelSID, CreateParticipantParams{Type: "external"}); err == nil {
		t.Error("missing MediaProperties accepted")
	}
	p, err := f.eng.CreateParticipant(in.SID, in.ChannelSID, CreateParticipantParams{Type: "external",
		MediaProperties: map[string]any{"address": "x@example.com", "type": "email"}})
	if err != nil || p.Type != "external" {
		t.Fatalf("p = %+v, err = %v", p, err)
	}
}
