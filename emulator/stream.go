package emulator

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/gorilla/websocket"
)

// upgrader keeps gorilla's same-origin check: a page on another site (or
// another port of localhost) may not read the timeline. The server's
// sameOrigin guard refuses such upgrades first, with Twilio's error JSON.
var upgrader = websocket.Upgrader{}

// streamPing keeps idle streams alive through proxies and detects dead peers.
const streamPing = 30 * time.Second

// serveStream upgrades to a websocket and sends every timeline entry after
// ?after=SEQ as one JSON text message, live, until the client goes away or
// the emulator closes.
func (e *Emulator) serveStream(a *Account, w http.ResponseWriter, r *http.Request) {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			twilio.WriteError(w, twilio.InvalidParam("after", "%q is not a timeline sequence number", v))
			return
		}
		after = n
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { // the client sends nothing; reading notices when it leaves
		defer cancel()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	tl := a.timeline
	for {
		for _, entry := range tl.Since(after) {
			if err := conn.WriteJSON(entry); err != nil {
				return
			}
			after = entry.Seq
		}
		wait, stop := context.WithTimeout(ctx, streamPing)
		_, err := tl.Wait(wait, after, func(timeline.Entry) bool { return true })
		stop()
		if ctx.Err() != nil {
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "emulator closing"), time.Now().Add(time.Second))
			return
		}
		if err != nil { // idle: ping
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
				return
			}
		}
	}
}
