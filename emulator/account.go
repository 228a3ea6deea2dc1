package emulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/flex"
	"github.com/flexemu/flexemu/emulator/internal/inflight"
	"github.com/flexemu/flexemu/emulator/studio"
	"github.com/flexemu/flexemu/emulator/taskrouter"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/flexemu/flexemu/emulator/webhook"
)

// Account owns all product state of one Twilio account. One mutex guards
// every engine: simple, and deadlock-free across the synchronous
// Conversations → Studio → Flex → TaskRouter hops. Webhooks go out on the
// dispatcher's goroutines, off the lock.
type Account struct {
	SID       string
	AuthToken string

	clock    *clock.Virtual
	timeline *timeline.Timeline
	webhooks *webhook.Dispatcher
	fixture  *fixture.Fixture

	mu  sync.Mutex
	gen uint64 // bumped on Reset so timers of discarded engines do nothing
	Engines

	later inflight.Counter // env.Later work not yet run
}

// Engines are the product engines of an account. Use them only inside
// Account.Do, which holds the account lock.
type Engines struct {
	Conversations *conversations.Engine
	Studio        *studio.Engine
	Flex          *flex.Engine
	TaskRouter    *taskrouter.Engine
	// Setup is what the fixture created (workspace, addresses, customers).
	Setup Setup
}

func newAccount(sid, token string, clk *clock.Virtual, fx *fixture.Fixture) (*Account, error) {
	tl := timeline.New(clk)
	a := &Account{SID: sid, AuthToken: token, clock: clk, timeline: tl, fixture: fx,
		webhooks: webhook.New(token, tl, clk.Now)}
	if err := a.Reset(); err != nil {
		return nil, err
	}
	return a, nil
}

// Reset discards all state and re-applies the loaded fixture. The clock keeps
// running; the timeline and delivery log are cleared.
func (a *Account) Reset() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	a.timeline.Reset()
	a.webhooks.Reset()
	gen := a.gen
	e := env.Env{AccountSID: a.SID, AuthToken: a.AuthToken, Clock: &accountClock{a: a, gen: gen},
		Timeline: a.timeline, Webhooks: a.webhooks, Later: func(f func()) { a.runLater(gen, f) }}
	engines, err := build(e, a.fixture)
	if err != nil {
		return err
	}
	a.Engines = engines
	return nil
}

// Do runs fn with the account locked, for in-process tests and the control API.
func (a *Account) Do(fn func(e *Engines) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
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

// InboundParams is a customer message arriving on a channel.
type InboundParams struct {
	From string `json:"from"`
	To   string `json:"to"`
	Body string `json:"body"`
}

// Trace is what one inbound message caused, in order.
type Trace struct {
	ConversationSID     string           `json:"conversation_sid"`
	ParticipantSID      string           `json:"participant_sid"`
	MessageSID          string           `json:"message_sid"`
	MessageIndex        int              `json:"message_index"`
	CreatedConversation bool             `json:"created_conversation"`
	Entries             []timeline.Entry `json:"entries"`
}

// WebhookWait bounds how long Inbound waits for the webhooks it caused, so
// the trace shows their answers without a slow receiver stalling the caller.
const WebhookWait = 6 * time.Second

// Inbound delivers a customer message as Twilio's channel would, runs
// everything it triggers, and returns the trace. Its pre-event
// (onConversationAdd when it opens a conversation, onMessageAdd otherwise)
// is sent while the account is unlocked, so the user's handler may call the
// REST API; a rejection (non-2xx, no answer within 5 s) drops the message:
// the error wraps conversations.ErrRejected and the timeline shows why.
func (a *Account) Inbound(ctx context.Context, p InboundParams) (*Trace, error) {
	if p.To == "" {
		a.mu.Lock()
		if len(a.Setup.Addresses) > 0 {
			p.To = a.Setup.Addresses[0].Address
		}
		a.mu.Unlock()
	}
	if p.From == "" {
		p.From = a.DefaultCustomer(p.To)
	}
	start := a.timeline.Last()
	in := conversations.InboundParams{From: p.From, To: p.To, Body: p.Body}
	res, err := a.preEvented(ctx, func(c *conversations.Engine) (*conversations.Pending, error) { return c.PrepareInbound(in) })
	if err != nil {
		return nil, fmt.Errorf("inbound message from %s to %s: %w", p.From, p.To, err)
	}
	a.settle(ctx, WebhookWait)
	return &Trace{
		ConversationSID:     res.Conversation.SID,
		ParticipantSID:      res.Participant.SID,
		MessageSID:          res.Message.SID,
		MessageIndex:        res.Message.Index,
		CreatedConversation: res.Created,
		Entries:             a.timeline.Since(start),
	}, nil
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
func (a *Account) preEvented(ctx context.Context, prepare func(*conversations.Engine) (*conversations.Pending, error)) (*conversations.Result, error) {
	for try := 1; ; try++ {
		a.mu.Lock()
		pend, err := prepare(a.Conversations)
		var res *conversations.Result
		if err == nil && pend.PreEvent == nil {
			res, err = a.Conversations.Commit(pend, nil)
		}
		a.mu.Unlock()
		if err != nil || pend.PreEvent == nil {
			return res, err
		}
		answer := a.webhooks.Do(ctx, *pend.PreEvent)
		a.mu.Lock()
		res, err = a.Conversations.Commit(pend, &answer)
		a.mu.Unlock()
		if errors.Is(err, conversations.ErrStale) && try < preEventTries {
			continue
		}
		return res, err
	}
}

// DefaultCustomer is the customer address `send` writes as when none is given:
// the fixture's customer for the address's channel type.
func (a *Account) DefaultCustomer(to string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	kind := channelType(to)
	if c, ok := a.Setup.Customers[kind]; ok {
		return c
	}
	if kind == "sms" {
		return "+15558675310"
	}
	return kind + ":+15558675310"
}

// runLater runs f under the lock on its own goroutine, if the engines of
// generation gen are still the account's.
func (a *Account) runLater(gen uint64, f func()) {
	a.later.Add()
	go func() {
		defer a.later.Done()
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.gen == gen {
			f()
		}
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
// account lock, and not at all once the engines that set them were reset.
type accountClock struct {
	a   *Account
	gen uint64
}

func (c *accountClock) Now() time.Time { return c.a.clock.Now() }

func (c *accountClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return c.a.clock.AfterFunc(d, func() {
		c.a.mu.Lock()
		defer c.a.mu.Unlock()
		if c.a.gen == c.gen {
			f()
		}
	})
}
