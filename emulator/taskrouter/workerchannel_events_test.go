package taskrouter

import (
	"testing"
	"time"
)

// TestWorkerChannelEvents: capacity and availability changes of a worker
// channel each emit their event once, naming the worker and the channel;
// the stored Event is about the worker with the channel's data; a no-op
// update emits nothing.
func TestWorkerChannelEvents(t *testing.T) {
	f := newFixture(t)
	w := f.worker("alice", `{}`, true)
	chat := must(f.e.WorkerChannel(f.ws.SID, w.SID, "chat"))(t)
	off, two := false, 2

	mark := len(f.events)
	must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Available: &off}))(t)
	must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, chat.SID, UpdateWorkerChannelParams{Capacity: &two, Available: &off}))(t)
	must(f.e.UpdateWorkerChannel(f.ws.SID, w.SID, "chat", UpdateWorkerChannelParams{Capacity: &two, Available: &off}))(t) // no change
	if got := f.types(mark); got != "worker.channel.availability.update worker.capacity.update" {
		t.Fatalf("events %q", got)
	}
	for _, ev := range f.events[mark:] {
		if ev.WorkerSID != w.SID || ev.WorkerChannelSID != chat.SID {
			t.Fatalf("%s: worker %s channel %s", ev.Type, ev.WorkerSID, ev.WorkerChannelSID)
		}
	}
	for typ, data := range map[string]map[string]string{
		"worker.channel.availability.update": {"worker_channel_available": "false", "worker_channel_capacity": "1"},
		"worker.capacity.update":             {"worker_channel_available": "false", "worker_channel_capacity": "2"},
	} {
		ev := f.lastEvent(typ)
		if ev.ResourceType() != ResourceWorker || ev.ResourceSID != w.SID || ev.ResourcePath() != "/v1/Workspaces/"+f.ws.SID+"/Workers/"+w.SID {
			t.Fatalf("%s: resource %s %s %s", typ, ev.ResourceType(), ev.ResourceSID, ev.ResourcePath())
		}
		data["task_channel_unique_name"], data["task_channel_sid"], data["worker_sid"] = "chat", chat.TaskChannelSID, w.SID
		for k, v := range data {
			if got := ev.Value(k); got != v {
				t.Errorf("%s: event_data[%s] = %q, want %q", typ, k, got, v)
			}
		}
	}
}

// TestWorkerChannelLastReservedTime: set on the reserved channel only, when
// the reservation is created.
func TestWorkerChannelLastReservedTime(t *testing.T) {
	f := newFixture(t)
	q := f.queue("Everyone", "1==1")
	f.workflow(defaultCfg(q), 30)
	w := f.worker("alice", `{}`, true)
	def := must(f.e.WorkerChannel(f.ws.SID, w.SID, "default"))(t)
	chat := must(f.e.WorkerChannel(f.ws.SID, w.SID, "chat"))(t)
	if !def.LastReservedTime.IsZero() {
		t.Fatalf("new channel LastReservedTime %v", def.LastReservedTime)
	}
	f.advance(5 * time.Second)
	at := f.e.Now()
	task := f.task(`{}`)
	wantStatus(t, task, TaskReserved)
	if !def.LastReservedTime.Equal(at) || !chat.LastReservedTime.IsZero() {
		t.Fatalf("LastReservedTime default %v chat %v, want %v and zero", def.LastReservedTime, chat.LastReservedTime, at)
	}
	f.advance(5 * time.Second)
	f.setStatus(f.pendingRes(task), StatusAccepted)
	if !def.LastReservedTime.Equal(at) {
		t.Fatalf("accepting moved LastReservedTime to %v", def.LastReservedTime)
	}
}
