// Package convsync serves what @twilio/conversations asks through twilsock:
// the Conversations client API ("AIM": Client/v2/Configuration and the
// links it returns) and the Sync objects ("CDS": /v3/Maps, Lists,
// Documents, /v4/Subscriptions) in which the SDK reads conversation state.
//
// The Sync objects are a projection of the Conversations engine computed on
// demand under the account lock: per user, a my-conversations map (keyed by
// CH SID) and a user map ({value} items); per conversation, a document, a
// messages list (by message index) and a roster map (by MB SID). Item
// revisions and event ids come from the engine's revisions (see
// conversations.Change), offset per account so they keep increasing across
// resets. convsync's own state is only subscriptions, sessions, a bounded
// log of recent removals (for replay) and the names of user objects.
// Live changes arrive through the engine's change feed and are pushed to
// the sessions subscribed to the affected objects (push.go).
package convsync

import (
	"context"
	"sync"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// Backend is how convsync reaches an account's Conversations engine.
type Backend interface {
	// Do runs fn with the account locked and its current Conversations
	// engine; an unknown account is an error (a *twilio.Error).
	Do(accountSID string, fn func(*conversations.Engine) error) error
	// Act runs an SDK action the way Twilio does: prepare under the lock,
	// deliver its pre-event (if one is configured) with the lock released,
	// then commit under the lock. Post-event webhooks fire on commit.
	Act(ctx context.Context, accountSID string, prepare func(*conversations.Engine) (*conversations.Pending, error)) (*conversations.Result, error)
	// MediaURL is the media service's base URL for the Configuration links,
	// e.g. "http://127.0.0.1:7070/mcs".
	MediaURL() string
}

// Service is the twilsock.Service of one emulator: it answers the
// tunnelled requests of every account's sessions.
type Service struct {
	backend Backend

	mu       sync.Mutex
	accounts map[string]*account
}

// New returns a Service over b. Call Attach for each account's engine (and
// again after every reset) so changes are pushed.
func New(b Backend) *Service {
	return &Service{backend: b, accounts: map[string]*account{}}
}

// account is convsync's state for one account, guarded by Service.mu.
type account struct {
	sid string
	eng *conversations.Engine // the attached engine; read only under the account lock
	// offset is added to engine revisions to make event ids: it rises on
	// every Attach, so ids keep increasing across resets.
	offset uint64

	conns    map[*conn]struct{}
	subs     map[string]map[*conn]struct{} // object SID → subscribed sessions
	removals removalLog
	names    map[string]object // SID → user object (maps named after an identity)
}

func (s *Service) account(sid string) *account {
	a := s.accounts[sid]
	if a == nil {
		a = &account{sid: sid, conns: map[*conn]struct{}{}, subs: map[string]map[*conn]struct{}{}, names: map[string]object{}}
		s.accounts[sid] = a
	}
	return a
}

// Attach makes eng the account's engine and subscribes to its change feed.
// Call it under the account lock, with the engine the account starts with
// and with each fresh one after a reset. Event ids continue above every id
// issued for the previous engine.
func (s *Service) Attach(accountSID string, eng *conversations.Engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attach(s.account(accountSID), eng)
}

// Detach forgets a removed account, so the service no longer holds its
// engine; its sessions end at their next token check.
func (s *Service) Detach(accountSID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, accountSID)
}

// attach switches a to eng (no-op if attached already). Callers hold s.mu
// and the account lock.
func (s *Service) attach(a *account, eng *conversations.Engine) {
	if a.eng == eng {
		return
	}
	reset := a.eng != nil
	var since uint64
	if reset {
		since = s.discard(a)
		a.offset = since + 1
	}
	a.eng = eng
	sid := a.sid
	eng.Subscribe(func(ch conversations.Change) { s.changed(sid, eng, ch) })
	if reset {
		s.replayAll(a, since)
	}
}

// replayAll pushes to every subscribed session what its objects hold in a
// fresh engine (what the fixture created), as if resubscribed at since.
// Callers hold s.mu and the account lock.
func (s *Service) replayAll(a *account, since uint64) {
	v := view{eng: a.eng, offset: a.offset}
	collections := map[string]string{"MP": "Maps", "ES": "Lists", "ET": "Documents"}
	for sid, conns := range a.subs {
		o, ok := parseRef(collections[sid[:2]], sid, "", a.names)
		if !ok || o.sid() != sid || !v.exists(o) {
			continue
		}
		for _, ev := range v.replay(a, o, since) {
			for c := range conns {
				c.sess.Notify(messageTypeSync, ev.payload)
			}
		}
	}
}

// discard tells the sessions that everything of a's engine is gone (a
// reset): the removal of every conversation's objects and of every
// participation from the my-conversations maps, with ids above the engine's.
// The events are logged for sessions that resubscribe. It returns the last
// id used. Callers hold s.mu and the account lock.
func (s *Service) discard(a *account) uint64 {
	next := a.now()
	if len(a.conns) == 0 && len(a.subs) == 0 {
		return next
	}
	old := a.eng
	emit := func(ev syncEvent) {
		a.removals.add(ev)
		for c := range a.subs[ev.sid] {
			c.sess.Notify(messageTypeSync, ev.payload)
		}
	}
	v := view{eng: old, offset: a.offset}
	for _, svc := range old.Services() {
		convs, _ := old.Conversations(conversations.ListConversationsParams{ChatServiceSID: svc.SID})
		for _, c := range convs {
			parts, _ := old.Participants(c.SID)
			for _, p := range parts {
				if p.Identity == "" {
					continue
				}
				next++
				o := userObject(kindMyConversations, objService(old, svc.SID), p.Identity)
				emit(v.itemRemoved(o, next, item{key: c.SID, updated: p.DateUpdated,
					data: map[string]any{"status": "joined", "channel": convObject(kindDocument, c.SID).uniqueName()}}))
			}
			next++
			for _, kind := range []objKind{kindDocument, kindMessages, kindRoster} {
				emit(objectRemoved(convObject(kind, c.SID), next))
			}
		}
	}
	return next
}

// now is the account's latest event id. Callers hold s.mu and the account lock.
func (a *account) now() uint64 {
	if a.eng == nil {
		return a.offset
	}
	return a.offset + a.eng.Revision()
}

// Open starts serving one authenticated session.
func (s *Service) Open(sess twilsock.Session) twilsock.Conn {
	p := sess.Principal()
	c := &conn{svc: s, sess: sess, accountSID: p.AccountSID, identity: p.Identity, grantService: p.ServiceSID,
		subs: map[string]struct{}{}}
	_ = s.backend.Do(p.AccountSID, func(eng *conversations.Engine) error {
		// Twilio creates the User when an identity first connects.
		svc := c.service(eng)
		if _, err := eng.User(svc, p.Identity); err != nil {
			_, _ = eng.CreateUser(svc, conversations.CreateUserParams{Identity: p.Identity})
		}
		return nil
	})
	s.mu.Lock()
	s.account(p.AccountSID).conns[c] = struct{}{}
	s.mu.Unlock()
	return c
}
