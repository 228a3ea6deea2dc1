package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/content"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/internal/inflight"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Account owns all product state of one Twilio account. One mutex guards
// every engine: simple, and deadlock-free across the synchronous
// Conversations → Studio → Flex → TaskRouter hops. Webhooks go out on the
// dispatcher's goroutines, off the lock. Only locked takes the mutex, so a
// panic can never leave it held.
type Account struct {
	SID       string
	AuthToken string
	// FriendlyName names the account in the control API's account list.
	FriendlyName string

	// fixtureRef is how the account's fixture was named (Params): "" for
	// the emulator's own, a shipped name, a file path or inline YAML.
	fixtureRef string
	// removed is set once RemoveAccount took the account out of the
	// emulator: its tokens all count as expired from then on.
	removed atomic.Bool

	clock    *clock.Virtual
	causes   *cause.Tracker
	timeline *timeline.Timeline
	webhooks *webhook.Dispatcher
	fixture  *fixture.Fixture
	log      *slog.Logger
	faults   faultSet // injected faults (faults.go); Reset re-applies the fixture's

	// admit lets at most admitted goroutines contend for mu; the rest queue
	// on the channel in order. Under heavy concurrency (64 senders) a mutex
	// with many waiters hands itself to parked goroutines one at a time and
	// idles between holders; a short queue keeps it busy and the tail short
	// (make bench-load: p99 at 64 senders 50-57 ms -> 41-46 ms).
	admit chan struct{}
	mu    sync.Mutex
	gen   uint64 // bumped on Reset so timers of discarded engines do nothing
	Engines

	later inflight.Counter // env.Later work not yet run

	// tokenEpoch and clockEpoch anchor TokenNow: the wall time and the
	// virtual time when the account was created.
	tokenEpoch, clockEpoch time.Time
	// engineHooks run under the lock whenever engines are built (OnEngines).
	engineHooks []func(*Engines)
}

// Engines are the product engines of an account. Use them only inside
// Account.Do, which holds the account lock.
type Engines struct {
	Conversations *conversations.Engine
	Studio        *studio.Engine
	Flex          *flex.Engine
	TaskRouter    *taskrouter.Engine
	Content       *content.Engine
	// Setup is what the fixture created (workspace, addresses, customers).
	Setup Setup
}

func newAccount(sid, token string, clk *clock.Virtual, fx *fixture.Fixture, log *slog.Logger) (*Account, error) {
	a := blankAccount(sid, token, clk, fx, log)
	if err := a.Reset(); err != nil {
		return nil, err
	}
	return a, nil
}

// blankAccount is an account without engines: Reset or restore fills it.
func blankAccount(sid, token string, clk *clock.Virtual, fx *fixture.Fixture, log *slog.Logger) *Account {
	causes := cause.NewTracker()
	tl := timeline.New(clk, causes)
	return &Account{SID: sid, AuthToken: token, clock: clk, causes: causes, timeline: tl, fixture: fx, log: log, admit: make(chan struct{}, admitted),
		webhooks:   webhook.New(token, tl, clk.Now, webhook.WithCauses(causes)),
		tokenEpoch: time.Now().UTC().Truncate(time.Second), clockEpoch: clk.Now()}
}

// Reset discards all state and re-applies the loaded fixture. The clock keeps
// running; the timeline and delivery log are cleared.
func (a *Account) Reset() error {
	return a.rebuild(func(e env.Env) (Engines, error) { return build(e, a.fixture) })
}

// restore is Reset from a state snapshot: load fills engines fresh from
// build(env, nil) (snapshot.go).
func (a *Account) restore(load func(*Engines) error) error {
	return a.rebuild(func(e env.Env) (Engines, error) {
		engines, err := build(e, nil)
		if err != nil {
			return Engines{}, err
		}
		return engines, load(&engines)
	})
}

// rebuild replaces the engines with what newEngines builds, under the lock,
// in a new generation so timers and later work of the old ones do nothing.
// On error the account keeps its engines, and timers the failed build armed
// are disowned by one more generation.
func (a *Account) rebuild(newEngines func(env.Env) (Engines, error)) error {
	return a.locked(a.causes.New(), func(*Engines) error {
		if err := a.resetFaults(); err != nil {
			return err
		}
		a.gen++
		a.timeline.Reset()
		a.webhooks.Reset()
		gen := a.gen
		e := env.Env{AccountSID: a.SID, AuthToken: a.AuthToken, Clock: &accountClock{a: a, gen: gen},
			Timeline: a.timeline, Webhooks: a.webhooks, Later: func(c cause.ID, f func()) { a.runLater(gen, c, f) }}
		engines, err := newEngines(e)
		if err != nil {
			a.gen++
			return err
		}
		a.Engines = engines
		for _, fn := range a.engineHooks {
			fn(&a.Engines)
		}
		return nil
	})
}

// Do runs fn with the account locked, for in-process tests and the control
// API. What fn causes is its own cause; a panic in fn is returned as
// Twilio's 500 error, with the lock released.
func (a *Account) Do(fn func(e *Engines) error) error {
	return a.locked(a.causes.New(), fn)
}

// admitted is how many goroutines may wait for the account lock at once.
const admitted = 4

// locked is the only way into the engines: it holds the account lock with c
// as the current cause, and releases both on every path. A panic is logged
// with its stack and returned as Twilio's 500 error, so one bad input never
// wedges the account.
func (a *Account) locked(c cause.ID, fn func(e *Engines) error) (err error) {
	a.admit <- struct{}{}
	defer func() { <-a.admit }()
	a.mu.Lock()
	restore := a.causes.Enter(c)
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic while handling a request; the account lock was released", "account", a.SID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = twilio.NewError(http.StatusInternalServerError, twilio.CodeInternal, "internal error: %v", p)
		}
		restore()
		a.mu.Unlock()
	}()
	return fn(&a.Engines)
}

// Now is the account's virtual time.
func (a *Account) Now() time.Time { return a.clock.Now() }

// Advance moves virtual time forward, firing due timers (reservation
// timeouts, task TTLs…) before it returns. Must not be called inside Do.
func (a *Account) Advance(d time.Duration) { a.clock.Advance(d) }

// Clock exposes the account's clock (mode, next deadline).
func (a *Account) Clock() *clock.Virtual { return a.clock }

// Timeline is the account's record of everything that happened.
func (a *Account) Timeline() *timeline.Timeline { return a.timeline }

// Webhooks is the account's outbound webhook dispatcher and delivery log.
func (a *Account) Webhooks() *webhook.Dispatcher { return a.webhooks }

// WebhookWait bounds Settle's wait for every webhook of the account.
const WebhookWait = 6 * time.Second

// TraceWait bounds how long Inbound (and an agent reply) waits for the
// webhooks its own message caused and the reactions to their answers; what
// is slower is reported as pending rather than awaited.
const TraceWait = 2 * time.Second

// MaxTraceEntries bounds one trace.
const MaxTraceEntries = 1000

// Inbound delivers a customer message as Twilio's channel would, runs
// everything it triggers, and returns the trace. Its pre-event
// (onConversationAdd when it opens a conversation, onMessageAdd otherwise)
// is sent while the account is unlocked, so the user's handler may call the
// REST API; a rejection (non-2xx, no answer within 5 s) drops the message:
// the error wraps conversations.ErrRejected and the timeline shows why.
func (a *Account) Inbound(ctx context.Context, p InboundParams) (*Trace, error) {
	tr, start, err := a.inbound(ctx, p)
	if err != nil {
		return nil, err
	}
	tr.Entries, tr.Truncated = a.timeline.Caused(start, tr.Cause, MaxTraceEntries)
	return tr, nil
}

// inboundJSON is Inbound answering its trace as JSON appended to b, the
// entries encoded straight from the timeline (the control API's path).
func (a *Account) inboundJSON(ctx context.Context, p InboundParams, b []byte) ([]byte, error) {
	tr, start, err := a.inbound(ctx, p)
	if err != nil {
		return nil, err
	}
	return appendTraceJSON(tr, b, func(b []byte) ([]byte, bool) {
		return a.timeline.AppendCausedJSON(b, start, tr.Cause, MaxTraceEntries)
	}), nil
}

// inbound runs an inbound message and returns its trace without entries,
// and the timeline position they come after.
func (a *Account) inbound(ctx context.Context, p InboundParams) (*Trace, int64, error) {
	if p.Channel == ChannelWebchat {
		return a.inboundWebchat(ctx, p)
	}
	if p.To == "" {
		_ = a.locked(0, func(e *Engines) error {
			for _, ad := range e.Setup.Addresses {
				if !strings.EqualFold(ad.Type, "chat") { // a webchat address takes no channel messages
					p.To = ad.Address
					break
				}
			}
			return nil
		})
	}
	if p.From == "" {
		p.From = a.DefaultCustomer(p.To)
	}
	start := a.timeline.Last()
	c := a.causes.New()
	in := conversations.InboundParams{From: p.From, To: p.To, Body: p.Body}
	res, err := a.preEvented(ctx, c, func(c *conversations.Engine) (*conversations.Pending, error) { return c.PrepareInbound(in) })
	if err != nil {
		return nil, 0, fmt.Errorf("inbound message from %s to %s: %w", p.From, p.To, err)
	}
	return &Trace{
		ConversationSID:     res.Conversation.SID,
		ParticipantSID:      res.Participant.SID,
		MessageSID:          res.Message.SID,
		MessageIndex:        res.Message.Index,
		CreatedConversation: res.Created,
		Cause:               c,
		Pending:             a.await(ctx, c, TraceWait),
	}, start, nil
}

// await waits up to max for the work caused by c, and returns the webhooks
// of c still on their way.
func (a *Account) await(ctx context.Context, c cause.ID, max time.Duration) []PendingDelivery {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	if a.causes.Wait(ctx, c) == nil {
		return nil
	}
	var out []PendingDelivery
	for _, r := range a.webhooks.Pending(c) {
		out = append(out, PendingDelivery{URL: r.URL, Event: r.Event})
	}
	return out
}

// preEventTries bounds how often preEvented prepares an action again when
// the state moved under it while its pre-event was out.
const preEventTries = 3

// preEvented runs a channel or SDK action in the phases its pre-event
// needs: prepare under the lock; deliver the pre-event, if one is
// configured, with the lock released (the user's handler may call back into
// the API); commit under the lock, which re-validates and applies the
// answer. Without a pre-event both phases run in one lock hold. Reusable for
// SDK actions, e.g. an agent's reply:
//
//	a.preEvented(ctx, func(c *conversations.Engine) (*conversations.Pending, error) {
//		return c.PrepareMessage(sid, conversations.CreateMessageParams{Author: identity, Body: body,
//			Origin: conversations.Origin{Source: conversations.SourceSDK, ClientIdentity: identity}})
//	})
func (a *Account) preEvented(ctx context.Context, c cause.ID, prepare func(*conversations.Engine) (*conversations.Pending, error)) (*conversations.Result, error) {
	for try := 1; ; try++ {
		var pend *conversations.Pending
		var res *conversations.Result
		err := a.locked(c, func(e *Engines) error {
			var err error
			if pend, err = prepare(e.Conversations); err != nil {
				return err
			}
			if pend.PreEvent == nil {
				res, err = e.Conversations.Commit(pend, nil)
			}
			return err
		})
		if err != nil || pend.PreEvent == nil {
			return res, err
		}
		req := *pend.PreEvent
		req.Cause = c
		answer := a.webhooks.Do(ctx, req)
		err = a.locked(c, func(e *Engines) error {
			var err error
			res, err = e.Conversations.Commit(pend, &answer)
			return err
		})
		if errors.Is(err, conversations.ErrStale) && try < preEventTries {
			continue
		}
		return res, err
	}
}

// DefaultCustomer is the customer address `send` writes as when none is given:
// the fixture's customer for the address's channel type.
func (a *Account) DefaultCustomer(to string) string {
	kind := channelType(to)
	customer := ""
	_ = a.locked(0, func(e *Engines) error {
		customer = e.Setup.Customers[kind]
		return nil
	})
	switch {
	case customer != "":
		return customer
	case kind == "sms":
		return "+15558675310"
	default:
		return kind + ":+15558675310"
	}
}

// runLater runs f under the lock on its own goroutine, if the engines of
// generation gen are still the account's. It is called under the lock: f
// inherits the current cause, and counts as that cause's work in flight.
func (a *Account) runLater(gen uint64, c cause.ID, f func()) {
	done := a.causes.Begin(c)
	a.later.Add()
	go func() {
		defer a.later.Done()
		defer done()
		_ = a.locked(c, func(*Engines) error {
			if a.gen == gen {
				f()
			}
			return nil
		})
	}()
}

// Settle waits, up to max, until every queued webhook has been delivered and
// every reaction to an answer (env.Later) has run, repeating while one
// causes the other. Tests call it instead of sleeping. It must not be called
// inside Do.
func (a *Account) Settle(ctx context.Context, max time.Duration) {
	a.settle(ctx, max)
}

func (a *Account) settle(ctx context.Context, max time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	// A webhook answer may schedule work that sends another webhook: repeat
	// until both are idle at once, bounded by max against ping-pong.
	for ctx.Err() == nil {
		if a.webhooks.Wait(ctx) != nil || a.later.Wait(ctx) != nil {
			return
		}
		if a.webhooks.Idle() && a.later.Idle() {
			return
		}
	}
}

// accountClock is the clock engines see: timer callbacks run under the
// account lock, with the cause of the work that armed them, and not at all
// once the engines that set them were reset.
type accountClock struct {
	a   *Account
	gen uint64
}

func (c *accountClock) Now() time.Time { return c.a.clock.Now() }

func (c *accountClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	armedBy := c.a.causes.Current()
	return c.a.clock.AfterFunc(d, func() {
		_ = c.a.locked(armedBy, func(*Engines) error {
			if c.a.gen == c.gen {
				f()
			}
			return nil
		})
	})
}
