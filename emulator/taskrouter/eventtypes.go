package taskrouter

import "github.com/flexemu/flexemu/emulator/eventtype"

// EventType is a TaskRouter event type; the types are named once, in
// package eventtype, where clients can match on them too.
type EventType = eventtype.TaskRouter

// reservationEnded is the event of a reservation ending in status.
func reservationEnded(status string) EventType {
	switch status {
	case StatusRejected:
		return eventtype.ReservationRejected
	case StatusTimeout:
		return eventtype.ReservationTimeout
	case StatusCanceled:
		return eventtype.ReservationCanceled
	case StatusRescinded:
		return eventtype.ReservationRescinded
	}
	return EventType("reservation." + status)
}
