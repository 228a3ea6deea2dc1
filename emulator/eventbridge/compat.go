package eventbridge

import "github.com/flexemu/flexemu/emulator/taskrouter"

// Engine fields the payloads read that TaskRouter may not have (yet): one
// place to adapt.

func workerVersion(w *taskrouter.Worker) int                 { return w.Version }
func taskVersion(t *taskrouter.Task) int                     { return t.Version }
func reservationVersion(r *taskrouter.Reservation) int       { return r.Version }
func lastReservedMillis(wc *taskrouter.WorkerChannel) *int64 { return nil }

// eventChannel is the WorkerChannel SID a worker.capacity.update or
// worker.channel.availability.update event concerns; "" when the engine
// does not say (then every channel of the worker is pushed).
func eventChannel(ev taskrouter.Event) string { return "" }
