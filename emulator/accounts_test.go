package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/remote"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	"github.com/gorilla/websocket"
	twgo "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	conversationsV1 "github.com/twilio/twilio-go/rest/conversations/v1"
	taskrouterV1 "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// signedReceiver is a webhook endpoint that checks X-Twilio-Signature with
// one account's auth token, as that account's backend would.
type signedReceiver struct {
	srv       *httptest.Server
	validator twclient.RequestValidator

	mu            sync.Mutex
	valid, forged int
	events        []string
}

func newSignedReceiver(t *testing.T, authToken string) *signedReceiver {
	rc := &signedReceiver{validator: twclient.NewRequestValidator(authToken)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		signed := map[string]string{}
		for k := range r.PostForm {
			signed[k] = r.PostForm.Get(k)
		}
		ok := rc.validator.Validate("http://"+r.Host+r.URL.RequestURI(), signed, r.Header.Get("X-Twilio-Signature"))
		rc.mu.Lock()
		if ok {
			rc.valid++
		} else {
			rc.forged++
		}
		rc.events = append(rc.events, r.PostForm.Get("EventType"))
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *signedReceiver) counts() (valid, forged int, events []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.valid, rc.forged, append([]string(nil), rc.events...)
}

// twilioCode is the Twilio error code of a twilio-go or control API error.
func twilioCode(err error) int {
	var rest *twclient.TwilioRestError
	if errors.As(err, &rest) {
		return rest.Code
	}
	var te *twilio.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

const defaultWorkspace = "WS0a1b2c3d4e5f60718293a4b5c6d7e8f9"

func tasksOf(t *testing.T, c *twgo.RestClient) []taskrouterV1.TaskrouterV1Task {
	t.Helper()
	tasks, err := c.TaskrouterV1.ListTask(defaultWorkspace, &taskrouterV1.ListTaskParams{})
	if err != nil {
		t.Fatalf("list tasks: %v", err)
	}
	return tasks
}

func conversationsOf(t *testing.T, c *twgo.RestClient) []conversationsV1.ConversationsV1Conversation {
	t.Helper()
	convs, err := c.ConversationsV1.ListConversation(&conversationsV1.ListConversationParams{})
	if err != nil {
		t.Fatalf("list conversations: %v", err)
	}
	return convs
}

// Two accounts of one emulator, created through the control API, share
// nothing: REST state, credentials, timeline, clock, webhooks (signed with
// each account's own token); deleting one leaves the other untouched.
func TestAccountsAreIsolated(t *testing.T) {
	emu := emulatortest.Run(t)
	ctx := context.Background()
	ctl := remote.New(emu.URL())
	a := emu.Account()

	b, err := ctl.CreateAccount(ctx, emulator.AccountParams{FriendlyName: "team B"})
	if err != nil {
		t.Fatal(err)
	}
	if !twilio.IsSID(b.AccountSID, "AC") || len(b.AuthToken) != 32 || b.FriendlyName != "team B" || b.Primary ||
		b.Workspace == nil || b.Workspace.SID != defaultWorkspace || len(b.APIKeys) == 0 ||
		b.ControlURL != emu.URL()+emulator.AccountPrefix+b.AccountSID {
		t.Fatalf("created account = %+v", b)
	}
	list, err := ctl.Accounts(ctx)
	if err != nil || len(list) != 2 || list[0].AccountSID != a.SID || !list[0].Primary || list[1].AccountSID != b.AccountSID {
		t.Fatalf("accounts = %+v, %v", list, err)
	}

	restA := twilioclient.New(emu.URL(), a.SID, a.AuthToken)
	restB := twilioclient.New(emu.URL(), b.AccountSID, b.AuthToken)
	ctlB := ctl.ForAccount(b.AccountSID)

	// Each account's backend hears its own workspace's events, signed with its own token.
	hookA, hookB := newSignedReceiver(t, a.AuthToken), newSignedReceiver(t, b.AuthToken)
	for _, x := range []struct {
		c   *twgo.RestClient
		url string
	}{{restA, hookA.srv.URL + "/events"}, {restB, hookB.srv.URL + "/events"}} {
		if _, err := x.c.TaskrouterV1.UpdateWorkspace(defaultWorkspace, (&taskrouterV1.UpdateWorkspaceParams{}).SetEventCallbackUrl(x.url)); err != nil {
			t.Fatal(err)
		}
	}

	a.Settle(ctx, emulator.WebhookWait) // A's own workspace.updated
	_, _, eventsA := hookA.counts()
	clockA, lastA := a.Now(), a.Timeline().Last()
	tr, err := ctlB.Inbound(ctx, emulator.InboundParams{Body: "hello from B"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctlB.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := conversationsOf(t, restB); len(got) != 1 || *got[0].Sid != tr.ConversationSID || *got[0].AccountSid != b.AccountSID {
		t.Fatalf("B's conversations = %v", got)
	}
	if got := tasksOf(t, restB); len(got) != 1 {
		t.Fatalf("B's tasks = %d, want 1", len(got))
	}
	if got := conversationsOf(t, restA); len(got) != 0 {
		t.Errorf("A sees %d conversations of B", len(got))
	}
	if got := tasksOf(t, restA); len(got) != 0 {
		t.Errorf("A sees %d tasks of B", len(got))
	}
	if _, err := restA.ConversationsV1.FetchConversation(tr.ConversationSID); twilioCode(err) != 20404 {
		t.Errorf("A fetching B's conversation: %v, want 20404", err)
	}
	if valid, forged, events := hookB.counts(); valid == 0 || forged != 0 {
		t.Errorf("B's receiver: %d valid, %d forged signatures (%v)", valid, forged, events)
	}
	if valid, forged, events := hookA.counts(); forged != 0 || len(events) != len(eventsA) {
		t.Errorf("A's receiver: %d valid, %d forged, events %v (A's own: %v)", valid, forged, events, eventsA)
	}
	// A's own REST calls above are its only entries: none of B's inbound.
	for _, e := range a.Timeline().Since(lastA) {
		if e.Kind != "api" {
			t.Errorf("A's timeline has %s %s from B's inbound", e.Kind, e.Type)
		}
	}
	if !a.Now().Equal(clockA) {
		t.Errorf("A's clock moved with B's work: %v → %v", clockA, a.Now())
	}

	// Wrong credentials are refused whichever way they are mixed.
	for _, creds := range [][2]string{{b.AccountSID, a.AuthToken}, {a.SID, b.AuthToken}, {b.AccountSID, ""}} {
		c := twilioclient.New(emu.URL(), creds[0], creds[1])
		if _, err := c.TaskrouterV1.FetchWorkspace(defaultWorkspace); twilioCode(err) != 20003 {
			t.Errorf("%s with a wrong token: %v, want 20003", creds[0], err)
		}
	}

	// Advancing B's clock leaves A's alone.
	before, err := ctlB.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctlB.Advance(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	after, _ := ctlB.Info(ctx)
	if before.Now == after.Now || !a.Now().Equal(clockA) {
		t.Errorf("B's clock %s → %s, A's %v → %v", before.Now, after.Now, clockA, a.Now())
	}

	// A reset of B leaves A's state.
	if _, err := restA.TaskrouterV1.CreateTask(defaultWorkspace, (&taskrouterV1.CreateTaskParams{}).SetAttributes(`{"who":"A"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ctlB.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tasksOf(t, restA); len(got) != 1 {
		t.Errorf("A has %d tasks after B's reset, want 1", len(got))
	}

	// Deleting B: its credentials stop working, its clock stops, A goes on.
	acctB, ok := emu.LookupAccount(b.AccountSID)
	if !ok {
		t.Fatal("LookupAccount lost B")
	}
	if _, err := restB.TaskrouterV1.CreateTask(defaultWorkspace, (&taskrouterV1.CreateTaskParams{}).SetAttributes(`{}`)); err != nil {
		t.Fatal(err)
	}
	if acctB.Clock().Pending() == 0 {
		t.Fatal("B's new task armed no timer (its TTL): the clock check below would prove nothing")
	}
	if err := ctl.DeleteAccount(ctx, b.AccountSID); err != nil {
		t.Fatal(err)
	}
	if _, err := restB.TaskrouterV1.FetchWorkspace(defaultWorkspace); twilioCode(err) != 20003 {
		t.Errorf("deleted B's credentials: %v, want 20003", err)
	}
	if n := acctB.Clock().Pending(); n != 0 {
		t.Errorf("deleted B's clock still has %d timers", n)
	}
	if _, err := ctlB.Info(ctx); twilioCode(err) != 20404 {
		t.Errorf("control API of deleted B: %v, want 20404", err)
	}
	if _, err := ctl.FetchAccount(ctx, b.AccountSID); twilioCode(err) != 20404 {
		t.Errorf("fetching deleted B: %v, want 20404", err)
	}
	if got := tasksOf(t, restA); len(got) != 1 {
		t.Errorf("A has %d tasks after B's deletion, want 1", len(got))
	}
}

// Creation takes form bodies too, keeps given credentials, and refuses bad
// input with Twilio's error JSON and a message that says what to do.
func TestCreateAccountValidation(t *testing.T) {
	emu := emulatortest.Run(t)
	ctx := context.Background()
	ctl := remote.New(emu.URL())
	const sid, token = "AC000000000000000000000000000000b2", "tokenB0000000000000000000000000b2"
	status, body := do(t, http.MethodPost, emu.URL()+emulator.ControlPrefix+"/accounts",
		map[string][]string{"sid": {sid}, "auth_token": {token}, "fixture": {"sales-support.yaml"}}, false, "")
	if status != http.StatusCreated || body["account_sid"] != sid || body["auth_token"] != token || body["fixture"] != "sales-support.yaml" {
		t.Fatalf("form create: %d %v", status, body)
	}
	c := twilioclient.New(emu.URL(), sid, token)
	if _, err := c.TaskrouterV1.ListWorkspace(&taskrouterV1.ListWorkspaceParams{}); err != nil {
		t.Fatalf("given credentials: %v", err)
	}
	inline := "workspace:\n  friendly_name: Inline\n"
	info, err := ctl.CreateAccount(ctx, emulator.AccountParams{Fixture: inline})
	if err != nil || info.Workspace == nil || info.Workspace.FriendlyName != "Inline" {
		t.Fatalf("inline fixture: %+v, %v", info, err)
	}

	for _, tc := range []struct {
		name   string
		p      emulator.AccountParams
		status int
		want   string
	}{
		{"SID in use", emulator.AccountParams{SID: sid}, 409, "account " + sid + " already exists"},
		{"primary's SID", emulator.AccountParams{SID: emu.Account().SID}, 409, "already exists"},
		{"bad SID", emulator.AccountParams{SID: "AC123"}, 400, `Invalid sid: "AC123" is not an account SID`},
		{"not an account SID", emulator.AccountParams{SID: "WS000000000000000000000000000000b3"}, 400, "is not an account SID"},
		{"bad token", emulator.AccountParams{AuthToken: "short"}, 400, "auth_token: must be 8 to 64 letters and digits"},
		{"unknown fixture", emulator.AccountParams{Fixture: "nope.yaml"}, 400,
			`"nope.yaml" is neither a shipped fixture nor fixture YAML (shipped fixtures: default.yaml, routing-rules.yaml, sales-support.yaml)`},
		{"a file path", emulator.AccountParams{Fixture: "../fixtures/default.yaml"}, 400, "is neither a shipped fixture nor fixture YAML"},
		{"bad inline YAML", emulator.AccountParams{Fixture: "workspace:\n  friendly_nam: X\n"}, 400, "inline fixture:2: workspace.friendly_nam: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ctl.CreateAccount(ctx, tc.p)
			var te *twilio.Error
			if !errors.As(err, &te) || te.Status != tc.status || !strings.Contains(te.Message, tc.want) {
				t.Fatalf("error = %v, want %d with %q", err, tc.status, tc.want)
			}
		})
	}
	// A web page the developer visits cannot create or delete accounts.
	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		target := emu.URL() + emulator.ControlPrefix + "/accounts"
		if method == http.MethodDelete {
			target = emu.URL() + emulator.AccountPrefix + sid
		}
		req, _ := http.NewRequest(method, target, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin %s %s: %d, want 403", method, target, resp.StatusCode)
		}
	}
	if got := len(emu.Accounts()); got != 3 {
		t.Errorf("%d accounts after the refusals, want 3", got)
	}
	for _, tc := range []struct {
		sid    string
		status int
	}{{emu.Account().SID, 400}, {"AC000000000000000000000000000000ff", 404}} {
		status, body := do(t, http.MethodDelete, emu.URL()+emulator.AccountPrefix+tc.sid, nil, false, "")
		if status != tc.status || body["code"] == nil {
			t.Errorf("DELETE %s: %d %v, want %d", tc.sid, status, body, tc.status)
		}
	}
}

// Suites create and drop accounts while others work: no race, no lost or
// leaked account, each account's work stays its own.
func TestAccountsConcurrentCreateDelete(t *testing.T) {
	emu := emulatortest.Run(t)
	ctx := context.Background()
	ctl := remote.New(emu.URL())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				info, err := ctl.CreateAccount(ctx, emulator.AccountParams{})
				if err != nil {
					errs <- err
					return
				}
				c := ctl.ForAccount(info.AccountSID)
				tr, err := c.Inbound(ctx, emulator.InboundParams{Body: "hi"})
				if err != nil || !tr.CreatedConversation {
					errs <- fmt.Errorf("inbound on a fresh account: %+v, %v", tr, err)
					return
				}
				if _, err := ctl.Accounts(ctx); err != nil {
					errs <- err
					return
				}
				if err := ctl.DeleteAccount(ctx, info.AccountSID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(emu.Accounts()); n != 1 {
		t.Errorf("%d accounts left, want only the primary", n)
	}
}

// A fixture's accounts section creates accounts at start, each from its own
// fixture; a bad entry fails New with its line.
func TestFixtureAccounts(t *testing.T) {
	const yaml = "accounts:\n" +
		"  - {sid: AC000000000000000000000000000000c1, auth_token: tokenC0000000000, friendly_name: team C, fixture: sales-support.yaml}\n" +
		"  - {sid: AC000000000000000000000000000000d1, auth_token: tokenD0000000000}\n"
	fx, err := fixture.Parse("with-accounts.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	emu := emulatortest.Run(t, emulator.WithFixture(fx))
	list, err := remote.New(emu.URL()).Accounts(context.Background())
	if err != nil || len(list) != 3 {
		t.Fatalf("accounts = %+v, %v", list, err)
	}
	if c := list[1]; c.AccountSID != "AC000000000000000000000000000000c1" || c.FriendlyName != "team C" || c.Fixture != "sales-support.yaml" {
		t.Errorf("account C = %+v", c)
	}
	if d := list[2]; d.Fixture != "with-accounts.yaml" || d.FriendlyName == "" {
		t.Errorf("account D = %+v (its fixture is the emulator's own)", d)
	}
	c := twilioclient.New(emu.URL(), "AC000000000000000000000000000000c1", "tokenC0000000000")
	ws, err := c.TaskrouterV1.ListWorkspace(&taskrouterV1.ListWorkspaceParams{})
	if err != nil || len(ws) != 1 {
		t.Fatalf("C's workspaces: %v, %v", ws, err)
	}
	flows, err := c.TaskrouterV1.ListWorkflow(*ws[0].Sid, &taskrouterV1.ListWorkflowParams{})
	if err != nil || len(flows) != 1 || *flows[0].FriendlyName != "Sales and Support" {
		t.Fatalf("C's workflows (sales-support.yaml's): %v, %v", flows, err)
	}
	if p, _ := emu.LookupAccount("AC000000000000000000000000000000c1"); p.Params().Fixture != "sales-support.yaml" {
		t.Errorf("C's params = %+v", p.Params())
	}

	bad, err := fixture.Parse("bad.yaml", []byte("accounts:\n  - {sid: AC000000000000000000000000000000c1, auth_token: tokenC0000000000, fixture: nope.yaml}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithFixture(bad))
	if err == nil || !strings.Contains(err.Error(), `bad.yaml:2: accounts[0]: Invalid fixture: "nope.yaml" is neither a shipped fixture, a file nor fixture YAML`) {
		t.Fatalf("New with a bad accounts entry: %v", err)
	}
}

// Deleting an account ends its agents' websockets (twilsock and the event
// bridge) within the token check interval, as an expired token would.
func TestRemovedAccountSessionsEnd(t *testing.T) {
	emu := emulatortest.Run(t)
	b, err := emu.CreateAccount(emulator.AccountParams{})
	if err != nil {
		t.Fatal(err)
	}
	ts := tsDial(t, emu)
	if st := ts.init(chatToken(t, b, "alice", time.Hour)); st["code"] != 200.0 {
		t.Fatalf("twilsock init on B: %v", st)
	}
	eb, _, err := ebDial(t, emu, ebToken(t, b, b.AuthToken, "alice", time.Hour), "")
	if err != nil {
		t.Fatalf("event bridge on B: %v", err)
	}
	eb.await("init")
	if err := emu.RemoveAccount(b.SID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = ts.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ts.ws.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Errorf("twilsock of a removed account: %v, want a close frame", err)
			}
			break
		}
	}
	select {
	case <-eb.closed:
	case <-time.After(5 * time.Second):
		t.Error("the event bridge socket of a removed account stayed open")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("sessions outlived the account by %v", d)
	}
	if err := emu.RemoveAccount(b.SID); twilioCode(err) != 20404 {
		t.Errorf("removing it again: %v, want 20404", err)
	}
}
