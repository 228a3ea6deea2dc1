package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/accesstoken"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/mcs"
	"github.com/flexemu/flexemu/emulator/twilioclient"
	conversationsv1 "github.com/twilio/twilio-go/rest/conversations/v1"
	taskrouterv1 "github.com/twilio/twilio-go/rest/taskrouter/v1"
)

// waitingFlow asks the customer a question and, on the answer, sends the
// conversation to Flex: after a restore, the answer must find the widget
// still waiting.
const waitingFlow = `{"description":"snapshot wait","initial_state":"Trigger","flags":{"allow_concurrent_calls":true},"states":[
{"name":"Trigger","type":"trigger","transitions":[{"event":"incomingMessage"},{"event":"incomingCall"},
 {"event":"incomingConversationMessage","next":"ask"},{"event":"incomingRequest"},{"event":"incomingParent"}],"properties":{"offset":{"x":0,"y":0}}},
{"name":"ask","type":"send-and-wait-for-reply","transitions":[{"event":"incomingMessage","next":"to_flex"},{"event":"timeout"},{"event":"deliveryFailure"}],
 "properties":{"offset":{"x":0,"y":200},"service":"{{trigger.conversation.InstanceSid}}","channel":"{{trigger.conversation.ChannelSid}}",
 "from":"{{flow.channel.address}}","body":"Which order?","timeout":"3600"}},
{"name":"to_flex","type":"send-to-flex","transitions":[{"event":"callComplete"},{"event":"failedToEnqueue"},{"event":"callFailure"}],
 "properties":{"offset":{"x":0,"y":400},"workflow":"WW0a1b2c3d4e5f60718293a4b5c6d7e8f9","channel":"TC0a1b2c3d4e5f60718293a4b5c6d7e8f9",
 "attributes":"{\"order\": \"{{widgets.ask.inbound.Body}}\", \"conversationSid\": \"{{trigger.conversation.ConversationSid}}\"}"}}]}`

const waitingAddress = "+15550199001"

// richState gives the primary account of emu a bit of everything: two
// routed conversations (one reservation accepted, one pending with its
// timeout armed), a Studio execution waiting for a reply, conversation
// attributes set through twilio-go, a content template, and 30 s of
// virtual time gone by. It returns the pending reservation's URL.
func richState(t *testing.T, emu *emulator.Emulator) (pending string) {
	t.Helper()
	api := newFlowAPI(t, emu)
	ctx := context.Background()
	acct := emu.Account()
	sms, err := acct.Inbound(ctx, emulator.InboundParams{From: "+15550100101", To: "+15017122661", Body: "first customer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acct.Inbound(ctx, emulator.InboundParams{From: "whatsapp:+15550100102", To: "whatsapp:+14155238886", Body: "second customer"}); err != nil {
		t.Fatal(err)
	}
	flow := api.createFlow("snapshot wait", waitingFlow)
	api.bindAddress("sms", waitingAddress, flow)
	if _, err := acct.Inbound(ctx, emulator.InboundParams{From: "+15550100103", To: waitingAddress, Body: "where is my order"}); err != nil {
		t.Fatal(err)
	}
	api.createContent("snapshot greeting")
	acct.Settle(ctx, 2*time.Second)

	client := twilioclient.New(emu.URL(), api.sid, api.tok)
	attrs := `{"vip":true,"note":"restored?"}`
	if _, err := client.ConversationsV1.UpdateConversation(sms.ConversationSID,
		(&conversationsv1.UpdateConversationParams{}).SetAttributes(attrs).SetFriendlyName("first")); err != nil {
		t.Fatal(err)
	}
	tasks := api.tasks()
	if len(tasks) != 2 {
		t.Fatalf("want 2 tasks from the two routed conversations, have %d", len(tasks))
	}
	var reservations []string
	for _, task := range tasks {
		_, m := api.call(http.MethodGet, "/taskrouter/v1/Workspaces/"+api.ws+"/Tasks/"+task["sid"].(string)+"/Reservations", nil, 200)
		for _, r := range m["reservations"].([]any) {
			reservations = append(reservations, "/taskrouter/v1/Workspaces/"+api.ws+"/Tasks/"+task["sid"].(string)+"/Reservations/"+r.(map[string]any)["sid"].(string))
		}
	}
	if len(reservations) != 2 {
		t.Fatalf("want a reservation per task, have %v", reservations)
	}
	parts := strings.Split(reservations[0], "/")
	if _, err := client.TaskrouterV1.UpdateTaskReservation(api.ws, parts[6], parts[8],
		(&taskrouterv1.UpdateTaskReservationParams{}).SetReservationStatus("accepted")); err != nil {
		t.Fatal(err)
	}
	acct.Settle(ctx, 2*time.Second)
	acct.Advance(30 * time.Second)
	acct.Settle(ctx, 2*time.Second)
	return reservations[1]
}

// TestSnapshotRestoresEverythingTheAPIsShow saves a rich state through the
// control API and restores it into a new emulator: every resource reachable
// through the REST APIs reads the same, the pending reservation times out
// at the same virtual second on both, and the waiting Studio widget takes
// the customer's answer.
func TestSnapshotRestoresEverythingTheAPIsShow(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	orig := emulatortest.Run(t, emulator.WithStateFile(state))
	if note := orig.StateNote(); !strings.Contains(note, "no state file yet at "+state) {
		t.Fatalf("state note = %q, want it to say there is no state file yet", note)
	}
	pending := richState(t, orig)
	before := crawl(t, orig)
	t.Logf("%d resources crawled", len(before))
	if len(before) < 40 {
		t.Fatalf("the crawl reached only %d resources: the rich state or the crawler is broken", len(before))
	}

	resp, body := post(t, orig.URL()+emulator.ControlPrefix+"/snapshot")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /snapshot = %d %s", resp.StatusCode, body)
	}
	onDisk, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, body) {
		t.Fatal("the state file differs from the snapshot POST /snapshot returned")
	}

	restored := emulatortest.Run(t, emulator.WithStateFile(state))
	if note := restored.StateNote(); !strings.HasPrefix(note, "restored 1 account from "+state+" (saved at ") {
		t.Fatalf("state note = %q", note)
	}
	if !restored.Account().Now().Equal(orig.Account().Now()) {
		t.Fatalf("restored clock at %s, saved at %s", restored.Account().Now(), orig.Account().Now())
	}
	entries := restored.Account().Timeline().Since(0)
	if len(entries) != 1 || entries[0].Type != "emulator.restored" || !strings.Contains(entries[0].Summary, state) {
		t.Fatalf("a restored timeline holds one entry saying so, have %+v", entries)
	}
	sameResources(t, "after the restore", before, crawl(t, restored))

	// Timers: the pending reservation (120 s, 30 s gone) is still pending
	// a second before its deadline and times out at it, on both emulators.
	for _, step := range []struct {
		advance time.Duration
		status  string
	}{{89 * time.Second, "pending"}, {time.Second, "timeout"}} {
		for _, emu := range []*emulator.Emulator{orig, restored} {
			emu.Account().Advance(step.advance)
			emu.Account().Settle(context.Background(), 2*time.Second)
			api := newFlowAPI(t, emu)
			if _, r := api.call(http.MethodGet, pending, nil, 200); r["reservation_status"] != step.status {
				t.Fatalf("at %s the reservation is %v, want %s", emu.Account().Now(), r["reservation_status"], step.status)
			}
		}
		sameResources(t, "after advancing "+step.advance.String(), crawl(t, orig), crawl(t, restored))
	}

	// The waiting widget takes the answer and sends the conversation to Flex.
	ctx := context.Background()
	if _, err := restored.Account().Inbound(ctx, emulator.InboundParams{From: "+15550100103", To: waitingAddress, Body: "12345"}); err != nil {
		t.Fatal(err)
	}
	restored.Account().Settle(ctx, 2*time.Second)
	found := false
	for _, task := range newFlowAPI(t, restored).tasks() {
		if task["attributes"].(map[string]any)["order"] == "12345" {
			found = true
		}
	}
	if !found {
		t.Fatal("the restored Studio execution did not take the answer to Send to Flex")
	}

	// twilio-go reads the restored state with the same credentials.
	api := newFlowAPI(t, restored)
	client := twilioclient.New(restored.URL(), api.sid, api.tok)
	parts := strings.Split(pending, "/")
	if task, err := client.TaskrouterV1.FetchTask(api.ws, parts[6]); err != nil || task.Sid == nil || *task.Sid != parts[6] {
		t.Fatalf("twilio-go FetchTask on the restored emulator: %v", err)
	}
}

// TestSnapshotRefusesAnotherVersion refuses a state file of another
// flexemu version or format, naming both versions and the file, and leaves
// the file alone.
func TestSnapshotRefusesAnotherVersion(t *testing.T) {
	dir := t.TempDir()
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := emu.Snapshot()
	_ = emu.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field string
		value       any
		want        []string
	}{
		{"version", "flexemu_version", "v0.0.1-elsewhere", []string{"written by flexemu v0.0.1-elsewhere (format 1)",
			"this is flexemu " + emulator.Version() + " (format 1)", "delete it or run the version that wrote it"}},
		{"format", "flexemu_snapshot", 99, []string{"(format 99)", "this is flexemu " + emulator.Version() + " (format 1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(snap, &doc); err != nil {
				t.Fatal(err)
			}
			doc[tc.field] = tc.value
			data, _ := json.Marshal(doc)
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(path))
			if err == nil {
				_ = emu.Close()
				t.Fatal("New accepted a snapshot of another version")
			}
			for _, w := range append(tc.want, "snapshot "+path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Error("a refused state file was changed")
			}
		})
	}
}

// TestSnapshotRefusesADamagedFile refuses files that are not a whole
// snapshot, whether the damage is in the document or inside an engine's
// state, and leaves them alone.
func TestSnapshotRefusesADamagedFile(t *testing.T) {
	emu := emulatortest.Run(t)
	richState(t, emu)
	snap, err := emu.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(snap, &doc); err != nil {
		t.Fatal(err)
	}
	engineBroken := func(engine string) []byte {
		var d map[string]any
		_ = json.Unmarshal(snap, &d)
		d["accounts"].([]any)[0].(map[string]any)["engines"].(map[string]any)[engine] = []any{"not", "an", "engine's", "state"}
		b, _ := json.Marshal(d)
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", snap[:len(snap)/2], "is not a flexemu state snapshot (or it is damaged)"},
		{"not JSON", []byte("hello"), "is not a flexemu state snapshot"},
		{"trailing data", append(append([]byte{}, snap...), "{}"...), "is not a flexemu state snapshot (or it is damaged)"},
		{"unknown field", bytes.Replace(snap, []byte(`"saved_at"`), []byte(`"extra":1,"saved_at"`), 1), `unknown field "extra"`},
		{"taskrouter state", engineBroken("taskrouter"), "taskrouter engine"},
		{"studio state", engineBroken("studio"), "studio engine"},
		{"conversations state", engineBroken("conversations"), "conversations engine"},
		{"flex state", engineBroken("flex"), "flex engine"},
		{"content state", engineBroken("content"), "content engine"},
		{"no accounts", []byte(`{"flexemu_snapshot":1,"flexemu_version":"` + emulator.Version() + `","saved_at":"2026-01-01T00:00:00Z","accounts":[]}`), "holds no accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(path))
			if err == nil {
				_ = got.Close()
				t.Fatal("New accepted a damaged snapshot")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q lacks %q or the file name", err, tc.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, tc.data) {
				t.Error("a refused state file was changed")
			}
		})
	}
}

// TestSnapshotWithoutStateFileAndOnClose: without --state, POST /snapshot
// answers the snapshot and writes nothing; with one, Close saves what
// changed since the last snapshot, and stale temporary files of a killed
// save are cleared at start.
func TestSnapshotWithoutStateFileAndOnClose(t *testing.T) {
	dir := t.TempDir()
	plain := emulatortest.Run(t)
	resp, body := post(t, plain.URL()+emulator.ControlPrefix+"/snapshot")
	if resp.StatusCode != 200 || !json.Valid(body) || !bytes.Contains(body, []byte(`"flexemu_snapshot":1`)) {
		t.Fatalf("POST /snapshot without a state file = %d %.200s", resp.StatusCode, body)
	}
	if plain.StateNote() != "" {
		t.Fatalf("an emulator without a state file has a state note %q", plain.StateNote())
	}

	state := filepath.Join(dir, "state.json")
	stale := filepath.Join(dir, ".state.json.tmp-123")
	if err := os.WriteFile(stale, []byte("half a save"), 0o600); err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(state))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary file of a killed save is still there: %v", err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	tr, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "saved on close"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	again := emulatortest.Run(t, emulator.WithStateFile(state))
	api := newFlowAPI(t, again)
	_, conv := api.call(http.MethodGet, "/conversations/v1/Conversations/"+tr.ConversationSID+"/Messages/"+tr.MessageSID, nil, 200)
	if conv["body"] != "saved on close" {
		t.Fatalf("the message created before Close did not survive: %v", conv)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, ".state.json.tmp-*"))
	if len(entries) != 0 {
		t.Fatalf("saves left temporary files behind: %v", entries)
	}
}

func post(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(u, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// sameResources fails with the first differences between two crawls.
func sameResources(t *testing.T, when string, want, got map[string]string) {
	t.Helper()
	var diffs []string
	for u, w := range want {
		if g, ok := got[u]; !ok {
			diffs = append(diffs, "missing "+u)
		} else if g != w {
			diffs = append(diffs, u+":\n  saved    "+clip(w)+"\n  restored "+clip(g))
		}
	}
	for u := range got {
		if _, ok := want[u]; !ok {
			diffs = append(diffs, "extra "+u)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		if len(diffs) > 8 {
			diffs = append(diffs[:8], "…")
		}
		t.Fatalf("%s, %d of %d resources differ:\n%s", when, len(diffs), len(want), strings.Join(diffs, "\n"))
	}
}

// clip shortens a body for a failure message.
func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

var (
	crawlHosts = map[string]bool{"conversations.twilio.com": true, "taskrouter.twilio.com": true,
		"studio.twilio.com": true, "flex-api.twilio.com": true, "content.twilio.com": true}
	interactionSID = regexp.MustCompile(`KD[0-9a-f]{32}`)
)

// crawl reads every resource of the primary account reachable from the
// products' top-level lists through url, links and next_page_url (and Flex
// interactions through the KD SIDs anything names), and returns each
// answer by URL.
func crawl(t *testing.T, emu *emulator.Emulator) map[string]string {
	t.Helper()
	info := emu.Info(emu.URL())
	client := &http.Client{Transport: emulator.Transport(emu.URL(), nil)}
	queue := []string{
		"https://conversations.twilio.com/v1/Conversations", "https://conversations.twilio.com/v1/Services",
		"https://conversations.twilio.com/v1/Configuration", "https://conversations.twilio.com/v1/Configuration/Addresses",
		"https://conversations.twilio.com/v1/Configuration/Webhooks", "https://conversations.twilio.com/v1/Users",
		"https://conversations.twilio.com/v1/Roles", "https://conversations.twilio.com/v1/Credentials",
		"https://taskrouter.twilio.com/v1/Workspaces", "https://studio.twilio.com/v2/Flows",
		"https://content.twilio.com/v1/Content", "https://flex-api.twilio.com/v1/Configuration",
	}
	seen := map[string]bool{}
	for _, u := range queue {
		seen[u] = true
	}
	out := map[string]string{}
	var found func(v any)
	add := func(u string) {
		p, err := url.Parse(u)
		if err != nil || !crawlHosts[p.Host] || seen[u] {
			return
		}
		seen[u] = true
		queue = append(queue, u)
	}
	found = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && (k == "url" || k == "next_page_url") {
					add(s)
				}
				if k == "links" {
					if links, ok := y.(map[string]any); ok {
						for _, l := range links {
							if s, ok := l.(string); ok {
								add(s)
							}
						}
					}
				}
				found(y)
			}
		case []any:
			for _, y := range x {
				found(y)
			}
		case string: // task attributes name the interaction inside a JSON string
			for _, sid := range interactionSID.FindAllString(x, -1) {
				add("https://flex-api.twilio.com/v1/Interactions/" + sid)
			}
		}
	}
	for len(queue) > 0 && len(out) < 5000 {
		u := queue[0]
		queue = queue[1:]
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(info.AccountSID, info.AuthToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[u] = resp.Status + " " + string(bytes.TrimSpace(body))
		var v any
		if json.Unmarshal(body, &v) == nil {
			found(v)
		}
	}
	return out
}

// TestSnapshotKeepsEveryAccount restores an account added at run time with
// its own credentials, fixture (Reset re-applies it), clock, state and
// uploaded media, keeps Access Tokens minted before the save valid, and continues a real
// clock from the saved virtual time.
func TestSnapshotKeepsEveryAccount(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	emu := emulatortest.Run(t, emulator.WithStateFile(state))
	extra, err := emu.CreateAccount(emulator.AccountParams{FriendlyName: "team b", Fixture: "sales-support.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := extra.Inbound(context.Background(), emulator.InboundParams{Body: "to team b"})
	if err != nil {
		t.Fatal(err)
	}
	extra.Advance(10 * time.Minute)
	emu.Account().Advance(20 * time.Minute)
	picture := []byte("\x89PNG not really")
	media, err := emu.Media().Put(mcs.Media{AccountSID: extra.SID, ServiceSID: "IS00000000000000000000000000000001",
		ContentType: "image/png", Filename: "a.png", Category: "media", Author: "customer", DateCreated: extra.Now()}, picture)
	if err != nil {
		t.Fatal(err)
	}
	token, err := emu.Account().MintToken("alice", accesstoken.Grants{Identity: "alice"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emu.SaveState(); err != nil {
		t.Fatal(err)
	}

	restored := emulatortest.Run(t, emulator.WithStateFile(state))
	if n := len(restored.Accounts()); n != 2 {
		t.Fatalf("restored %d accounts, want 2", n)
	}
	again, ok := restored.LookupAccount(extra.SID)
	if !ok {
		t.Fatalf("account %s was not restored", extra.SID)
	}
	if again.AuthToken != extra.AuthToken || again.FriendlyName != "team b" || !again.Now().Equal(extra.Now()) {
		t.Fatalf("restored account: token %q name %q now %s; saved %q %q %s", again.AuthToken, again.FriendlyName,
			again.Now(), extra.AuthToken, "team b", extra.Now())
	}
	get := func(a *emulator.Account, path string) int {
		req, _ := http.NewRequest(http.MethodGet, restored.URL()+path, nil)
		req.SetBasicAuth(a.SID, a.AuthToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	conv := "/conversations/v1/Conversations/" + tr.ConversationSID
	if code := get(again, conv); code != 200 {
		t.Fatalf("the extra account's conversation reads %d after the restore", code)
	}
	if code := get(restored.Account(), conv); code != 404 {
		t.Fatalf("the primary account reads the extra account's conversation: %d", code)
	}
	mediaURL := restored.URL() + strings.TrimSuffix(emulator.MediaPrefix, "/") + "/v1/Services/" + media.ServiceSID + "/Media/" + media.SID + "/Content"
	req, _ := http.NewRequest(http.MethodGet, mediaURL, nil)
	req.SetBasicAuth(again.SID, again.AuthToken)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, picture) {
			t.Fatalf("uploaded media after the restore: %d %q", resp.StatusCode, got)
		}
	}
	if _, err := restored.Account().VerifyToken(token); err != nil {
		t.Fatalf("a token minted before the save no longer verifies: %v", err)
	}
	if err := again.Reset(); err != nil {
		t.Fatal(err)
	}
	if code := get(again, conv); code != 404 {
		t.Fatalf("after Reset the conversation reads %d, want 404", code)
	}
	if code := get(again, "/taskrouter/v1/Workspaces/WS1a1b2c3d4e5f60718293a4b5c6d7e8f9"); code != 200 {
		t.Fatalf("Reset did not re-apply the account's own fixture (sales-support.yaml): workspace reads %d", code)
	}

	realClock, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(state), emulator.WithClock(clock.Real))
	if err != nil {
		t.Fatal(err)
	}
	defer realClock.Close()
	if now, saved := realClock.Account().Now(), emu.Account().Now(); now.Before(saved) || now.After(saved.Add(time.Minute)) {
		t.Fatalf("a real clock restored at %s, saved at %s", now, saved)
	}
}

// TestSnapshotSaveFailureIsTwilioError: a state file that cannot be written
// makes POST /snapshot Twilio's 500 error naming the file, and Close
// report it.
func TestSnapshotSaveFailureIsTwilioError(t *testing.T) {
	state := filepath.Join(t.TempDir(), "missing-dir", "state.json")
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(state))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	resp, body := post(t, emu.URL()+emulator.ControlPrefix+"/snapshot")
	var te struct {
		Code    int    `json:"code"`
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &te); err != nil || resp.StatusCode != 500 || te.Status != 500 || te.Code != 20500 ||
		!strings.Contains(te.Message, "saving state to "+state) {
		t.Fatalf("POST /snapshot with an unwritable state file = %d %s", resp.StatusCode, body)
	}
	if err := emu.Close(); err == nil || !strings.Contains(err.Error(), state) {
		t.Fatalf("Close with an unwritable state file = %v, want an error naming it", err)
	}
}
