package eventbridge

import "github.com/flexemu/flexemu/emulator/taskrouter"

// Engine fields the payloads read, in one place.

func workerVersion(w *taskrouter.Worker) int           { return w.Version }
func taskVersion(t *taskrouter.Task) int               { return t.Version }
func reservationVersion(r *taskrouter.Reservation) int { return r.Version }

// lastReservedMillis is last_reserved_time: Unix milliseconds (the SDK's
// Channel reads it as such), null for a channel never reserved.
func lastReservedMillis(wc *taskrouter.WorkerChannel) *int64 {
	if wc.LastReservedTime.IsZero() {
		return nil
	}
	ms := wc.LastReservedTime.UnixMilli()
	return &ms
}

// eventChannel is the WorkerChannel SID a worker.capacity.update or
// worker.channel.availability.update event concerns; "" when the engine
// does not say (then every channel of the worker is pushed).
func eventChannel(ev taskrouter.Event) string { return ev.WorkerChannelSID }
