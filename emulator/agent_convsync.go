package emulator

import (
	"context"
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilsock"
)

// syncService is the twilsock.Service answering @twilio/conversations'
// tunnelled requests (Conversations client API and Sync) for every account.
// (Stub: owned by the Conversations/Sync projection work.)
func (e *Emulator) syncService() twilsock.Service { return notServed{} }

type notServed struct{}

func (notServed) Open(twilsock.Session) twilsock.Conn { return notServed{} }
func (notServed) Serve(context.Context, twilsock.Request) twilsock.Response {
	return twilsock.Response{Status: http.StatusNotFound,
		Body: []byte(`{"status":404,"code":20404,"message":"not served yet"}`)}
}
func (notServed) TokenUpdated(twilsock.Principal) {}
func (notServed) Close()                          {}
