package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/remote"
)

// findBrowser returns a Chromium or Chrome binary: $FLEXEMU_CHROME, or the
// first of the usual names on PATH.
func findBrowser() string {
	if p := os.Getenv("FLEXEMU_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// skipBrowser skips the test (or fails it, when FLEXEMU_REQUIRE_BROWSER=1).
func skipBrowser(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("FLEXEMU_REQUIRE_BROWSER") == "1" {
		t.Fatalf("FLEXEMU_REQUIRE_BROWSER=1 but %s", msg)
	}
	t.Skip(msg)
}

// browserREST reads the emulator's Twilio APIs as a user's curl would.
type browserREST struct {
	t          *testing.T
	base       string
	sid, token string
}

func (r browserREST) get(path string) map[string]any {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.base+path, nil)
	req.SetBasicAuth(r.sid, r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return v
}

// eventually polls cond (a REST check) until it holds or 15 s pass.
func (r browserREST) eventually(what string, cond func() (bool, string)) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: REST never showed it (last: %s)", what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func items(v map[string]any, key string) []map[string]any {
	var out []map[string]any
	list, _ := v[key].([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// newBrowser starts a headless browser for the test; it stops with ctx or
// at the end of the test.
func newBrowser(t *testing.T, ctx context.Context, browser string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1500))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// Start it now, so a browser that is installed but cannot run here
	// skips the test like a missing one.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`1`)); err != nil {
		skipBrowser(t, "%s did not start: %v", browser, err)
	}
	return bctx
}

// consoleServed skips the test when the emulator does not serve the
// console's read model.
func consoleServed(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + emulator.ControlPrefix + "/console/state")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		skipBrowser(t, "console read model not available (GET %s/console/state is 404)", emulator.ControlPrefix)
	}
}

// TestConsoleInBrowser drives the console page in a real headless Chromium:
// it loads with no console errors, shows an inbound message's reservation
// live with Accept and Reject, shows the reservation time out when the
// page's clock button passes task_reservation_timeout, and plays alice:
// Accept → Send (button and Enter) → Wrap up → Complete, each checked
// through the REST API. Every request the page makes stays on the
// emulator's address. FLEXEMU_SCREENSHOT=1 writes docs/console.png.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: not in -short")
	}
	browser := findBrowser()
	if browser == "" {
		skipBrowser(t, "no Chromium or Chrome found (chromium, chromium-browser, google-chrome, chrome, headless-shell or $FLEXEMU_CHROME): the console's browser test is skipped; install Debian's chromium package to run it")
	}
	emu := emulatortest.Run(t)
	base := emu.URL()
	consoleServed(t, base)
	ctx, cancelAll := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancelAll()
	rc := remote.New(base)
	info, err := rc.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Workspace == nil {
		t.Fatal("the default fixture has no workspace")
	}
	rest := browserREST{t: t, base: base, sid: info.AccountSID, token: info.AuthToken}
	ws := "/taskrouter/v1/Workspaces/" + info.Workspace.SID
	var alice, available string
	for _, w := range items(rest.get(ws+"/Workers"), "workers") {
		if str(w, "friendly_name") == "alice" {
			alice = str(w, "sid")
		}
	}
	for _, a := range items(rest.get(ws+"/Activities"), "activities") {
		if str(a, "friendly_name") == "Available" {
			available = str(a, "sid")
		}
	}
	if alice == "" || available == "" {
		t.Fatalf("fixture: alice %q, Available %q", alice, available)
	}

	bctx := newBrowser(t, ctx, browser)

	// What the page does, as the browser reports it.
	var mu sync.Mutex
	var problems, requests []string
	resetting := false
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *log.EventEntryAdded:
			if resetting && strings.Contains(ev.Entry.URL, "/console/conversations/") && strings.Contains(ev.Entry.Text, "404") {
				return // a read of the conversation the reset just removed, in flight as it happened
			}
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("browser log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *network.EventWebSocketCreated:
			requests = append(requests, ev.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("page problem: %s", p)
		}
		u, _ := url.Parse(base)
		if len(requests) < 3 {
			t.Errorf("the browser reported only %d requests: %q", len(requests), requests)
		}
		for _, r := range requests {
			ru, err := url.Parse(r)
			if err != nil || ru.Host != u.Host || (ru.Scheme != "http" && ru.Scheme != "ws") {
				t.Errorf("the page made a request off the emulator's address %s: %s", u.Host, r)
			}
		}
	}()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// wait polls a JavaScript predicate on the page.
	wait := func(what, js string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("page never showed %s (%v); page text:\n%s", what, err, text)
		}
	}
	button := func(scope, label string) string {
		return fmt.Sprintf(`%s//button[normalize-space()=%q]`, scope, label)
	}

	// The page loads, reads the model and follows the stream.
	if _, err := chromedp.Run(bctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	wait("the live console", `document.documentElement.dataset.ready === "1" && document.documentElement.dataset.live === "1"`)
	title, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.title + "|" + document.documentElement.lang`))
	if title != "flexemu console|en" {
		t.Fatalf("title|lang = %q", title)
	}
	unnamed, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`[...document.querySelectorAll("button")].filter(b => !(b.getAttribute("aria-label") || b.textContent).trim()).length`))
	if unnamed != 0 {
		t.Fatalf("%d buttons have no accessible name", unnamed)
	}

	// The page's own reads are not news: an idle page neither adds to the
	// timeline nor keeps re-reading (no feedback loop through the stream).
	// (The page may still be finishing its first reads: it gets a few tries
	// to fall quiet; a feedback loop never does.)
	for try := 1; ; try++ {
		before, err := rc.Timeline(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		idle := len(requests)
		mu.Unlock()
		time.Sleep(time.Second)
		after, _ := rc.Timeline(ctx, 0)
		mu.Lock()
		idle = len(requests) - idle
		mu.Unlock()
		if len(after) == len(before) && idle == 0 {
			break
		}
		if try == 4 {
			t.Fatalf("an idle console: timeline %d -> %d entries, %d requests in 1 s", len(before), len(after), idle)
		}
	}

	// A customer message: alice's pending reservation appears live, with
	// its status word and Accept / Reject, on the main view.
	tr, err := rc.Inbound(ctx, emulator.InboundParams{Body: "hello from the browser"})
	if err != nil {
		t.Fatal(err)
	}
	ch := tr.ConversationSID
	reservations := func() []map[string]any { return items(rest.get(ws+"/Workers/"+alice+"/Reservations"), "reservations") }
	var wr1, task string
	for _, r := range reservations() {
		if str(r, "reservation_status") == "pending" {
			wr1, task = str(r, "sid"), str(r, "task_sid")
		}
	}
	if wr1 == "" {
		t.Fatalf("no pending reservation for alice after an inbound message: %+v", reservations())
	}
	wait("alice's pending reservation "+wr1+" with Accept and Reject",
		fmt.Sprintf(`(() => { const li = document.querySelector('[data-reservation=%q][data-status="pending"]');
			if (!li) return false;
			const words = [...li.querySelectorAll("button")].map(b => b.textContent.trim());
			return words.includes("Accept") && words.includes("Reject") && li.innerText.includes("pending") && li.innerText.includes("alice") && li.innerText.includes(%q); })()`, wr1, task))
	wait("the task in its queue", fmt.Sprintf(`!!document.querySelector('#queues [data-task=%q]')`, task))
	wait("the conversation in the list", fmt.Sprintf(`!!document.querySelector('[data-conversation=%q]')`, ch))

	// The page's clock button passes the reservation timeout (120 s): the
	// reservation times out, live.
	do("+5 min", chromedp.Click(button("", "+5 min")))
	rest.eventually("reservation "+wr1+" timed out", func() (bool, string) {
		r := rest.get(ws + "/Workers/" + alice + "/Reservations/" + wr1)
		return str(r, "reservation_status") == "timeout", str(r, "reservation_status")
	})
	wait("the reservation leaving the pending list", fmt.Sprintf(`!document.querySelector('[data-reservation=%q][data-status="pending"]')`, wr1))

	// alice goes back to Available from the page; the task comes back to her.
	do("alice Available", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, "activity-"+alice, available)))
	rest.eventually("alice Available", func() (bool, string) {
		w := rest.get(ws + "/Workers/" + alice)
		return str(w, "activity_sid") == available, str(w, "activity_name")
	})
	var wr2 string
	rest.eventually("a new reservation for alice", func() (bool, string) {
		for _, r := range reservations() {
			if str(r, "reservation_status") == "pending" {
				wr2 = str(r, "sid")
				return true, wr2
			}
		}
		return false, ""
	})
	wait("the new pending reservation "+wr2, fmt.Sprintf(`!!document.querySelector('[data-reservation=%q][data-status="pending"]')`, wr2))

	// Open the conversation; another customer message shows up in it live.
	do("open the conversation", chromedp.Click(fmt.Sprintf(`//tr[@data-conversation=%q]//button`, ch)))
	if _, err := rc.Inbound(ctx, emulator.InboundParams{Body: "are you there?"}); err != nil {
		t.Fatal(err)
	}
	wait("the second customer message", `document.getElementById("messages").innerText.includes("are you there?")`)
	wait("its causal chain", `document.querySelectorAll("#chain li").length > 0`)
	wait("its Studio execution's widget path", `(() => { const p = document.querySelector("#executions li[data-execution] ol.path"); return !!p && p.innerText.includes("Trigger") && p.innerText.includes("SendConversationToAgent"); })()`)

	// Accept → the reply box → Send (button, then Enter) → Wrap up → Complete.
	// Accept by keyboard: the button takes focus and Enter presses it.
	do("Accept", chromedp.Focus(button(fmt.Sprintf(`//li[@data-reservation=%q]`, wr2), "Accept")), chromedp.KeyEvent("\r"))
	rest.eventually("reservation accepted", func() (bool, string) {
		r := rest.get(ws + "/Workers/" + alice + "/Reservations/" + wr2)
		return str(r, "reservation_status") == "accepted", str(r, "reservation_status")
	})
	wait("the reply box", `!document.getElementById("agent").hidden && document.querySelector('label[for="reply-body"]').textContent === "Reply"`)
	identity, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("agent").dataset.identity`))
	messages := func() []map[string]any {
		return items(rest.get("/conversations/v1/Conversations/"+ch+"/Messages?PageSize=100"), "messages")
	}
	sent := func(body string) func() (bool, string) {
		return func() (bool, string) {
			var got []string
			for _, m := range messages() {
				if str(m, "body") == body && str(m, "author") == identity {
					return true, ""
				}
				got = append(got, str(m, "author")+": "+str(m, "body"))
			}
			return false, strings.Join(got, " | ")
		}
	}
	do("type a reply", chromedp.SendKeys(chromedp.ID("reply-body"), "Hi, this is Alice."), chromedp.Click(button("", "Send")))
	rest.eventually("the reply, as "+identity, sent("Hi, this is Alice."))
	wait("the reply in the page", `document.getElementById("messages").innerText.includes("Hi, this is Alice.")`)
	do("reply with Enter", chromedp.SendKeys(chromedp.ID("reply-body"), "How can I help?\r"))
	rest.eventually("the Enter reply", sent("How can I help?"))
	wait("the Enter reply in the page", `document.getElementById("messages").innerText.includes("How can I help?")`)

	if os.Getenv("FLEXEMU_SCREENSHOT") == "1" {
		do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		out := filepath.Join("..", "docs", "console.png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}

	taskStatus := func(want string) func() (bool, string) {
		return func() (bool, string) {
			s := str(rest.get(ws+"/Tasks/"+task), "assignment_status")
			return s == want, s
		}
	}
	do("Wrap up", chromedp.Click(button("", "Wrap up")))
	rest.eventually("task wrapping", taskStatus("wrapping"))
	wait("the task wrapping on the page", `document.getElementById("agent-who").innerText.includes("wrapping")`)
	do("Complete", chromedp.Click(button("", "Complete")))
	rest.eventually("task completed", taskStatus("completed"))
	wait("the finished task off the agent's hands", `document.getElementById("agent").hidden`)

	// Readable in a narrow window: nothing makes the page scroll sideways.
	do("a phone-sized window", chromedp.EmulateViewport(360, 740))
	wait("no horizontal scrolling at 360 px", `document.documentElement.scrollWidth <= window.innerWidth`)

	// A reset shows live: the conversation is gone, and so is its view.
	mu.Lock()
	resetting = true
	mu.Unlock()
	if err := rc.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	wait("the reset", `document.getElementById("conversations-total").textContent === "(0)" && document.getElementById("conversation-body").hidden`)
}

// TestConsoleInBrowserAtScale opens the console over 1,000 conversations
// and 11,000 timeline entries, pages through the list, and streams a burst
// of 2,000 more entries at the open page: it stays responsive, keeps 50
// rows and at most 200 feed entries in the DOM, and logs how long it took.
func TestConsoleInBrowserAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("browser scale test: not in -short")
	}
	browser := findBrowser()
	if browser == "" {
		skipBrowser(t, "no Chromium or Chrome found: the console's browser scale test is skipped; install Debian's chromium package to run it")
	}
	emu := emulatortest.Run(t)
	base := emu.URL()
	consoleServed(t, base)
	fill := func(from, n, msgs int) {
		t.Helper()
		err := emu.Account().Do(func(en *emulator.Engines) error {
			for i := from; i < from+n; i++ {
				c, err := en.Conversations.CreateConversation(conversations.CreateConversationParams{FriendlyName: fmt.Sprintf("c%04d", i)})
				if err != nil {
					return err
				}
				for j := range msgs {
					if _, err := en.Conversations.AddMessage(c.SID, conversations.CreateMessageParams{Author: "x", Body: fmt.Sprint(j)}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fill(0, 1000, 10)
	if n := emu.Account().Timeline().Len(); n < 10000 {
		t.Fatalf("timeline has %d entries, want 10,000 or more", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bctx := newBrowser(t, ctx, browser)
	wait := func(what, js string) time.Duration {
		t.Helper()
		start := time.Now()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second))); err != nil {
			t.Fatalf("page never showed %s: %v", what, err)
		}
		return time.Since(start)
	}
	start := time.Now()
	if _, err := chromedp.Run(bctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	wait("the live console", `document.documentElement.dataset.ready === "1" && document.documentElement.dataset.live === "1" && document.querySelectorAll("#conversations-body tbody tr").length === 50`)
	loaded := time.Since(start)
	pageTook := wait("page 2", `(document.querySelector("#page-next").click(), true)`)
	pageTook += wait("page 2's rows", `document.getElementById("page-info").textContent === "page 2 of 20" && document.querySelectorAll("#conversations-body tbody tr").length === 50`)

	// A burst of 2,000 entries (200 conversations with 9 messages each)
	// at the open page.
	start = time.Now()
	fill(1000, 200, 9)
	burst := wait("the burst drawn", `document.getElementById("conversations-total").textContent === "(1200)"`)
	probe := time.Now()
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[int](`1 + 1`)); err != nil {
		t.Fatal(err)
	}
	responsive := time.Since(probe)
	wait("a calm feed", `document.querySelectorAll("#feed li").length > 0 && document.querySelectorAll("#feed li").length <= 200`)
	rows, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#conversations-body tbody tr").length`))
	nodes, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.getElementsByTagName("*").length`))
	t.Logf("1,000 conversations / %d timeline entries: first paint %v, next page %v, 2,000-entry burst drawn in %v (fill included), page answered in %v; %d rows, %d DOM elements",
		emu.Account().Timeline().Len(), loaded, pageTook, time.Since(start), responsive, rows, nodes)
	if rows != 50 || nodes > 20000 {
		t.Fatalf("the page holds %d rows and %d elements", rows, nodes)
	}
	if loaded > 15*time.Second || responsive > 2*time.Second {
		t.Fatalf("the console is too slow at scale: loaded in %v, answered in %v after a burst (%v)", loaded, responsive, burst)
	}
}
