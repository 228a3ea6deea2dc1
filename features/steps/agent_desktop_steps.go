package steps

// Steps that drive a real agent desktop: the unmodified twilio-taskrouter and
// @twilio/conversations SDKs, run by examples/agentsdk/desktop.js in a Node
// child process that takes JSON commands on stdin and reports every SDK event
// as JSON on stdout. They sit next to the control-API agent steps:
//
//	Given alice is signed in to the agent desktop
//	When a customer sends "hello"
//	Then alice's agent desktop receives a reservation
//	When alice accepts the reservation in the agent desktop
//	Then alice's agent desktop shows the conversation with "hello"
//	When alice replies "Hi!" from the agent desktop
//	Then the customer should receive "Hi!"
//
// The script is found through FLEXEMU_AGENTSDK_DIR, else next to this package
// in the flexemu module, else above the working directory. Without node or
// the script's node_modules (npm ci in examples/agentsdk) such a scenario is
// skipped, unless FLEXEMU_REQUIRE_NODE=1, which makes it fail. FLEXEMU_CONVERSATIONS
// picks the Conversations SDK line ("3", the default, or "2").

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// desktopTimeout bounds each wait for an SDK event or a command's result.
const desktopTimeout = 20 * time.Second

func registerAgentDesktopSteps(sc *godog.ScenarioContext) {
	sc.Step(`^(\S+) is signed in to the agent desktop$`, func(ctx context.Context, identity string) error {
		return signIn(ctx, identity, "")
	})
	sc.Step(`^(\S+) is signed in to the agent desktop with conversations ([23])$`, signIn)
	sc.Step(`^(\S+) sets (?:her|his|their) activity to "([^"]+)" in the agent desktop$`, func(ctx context.Context, identity, activity string) error {
		d, err := desktopOf(ctx, identity)
		if err != nil {
			return err
		}
		res, err := d.command(ctx, map[string]any{"cmd": "setActivity", "name": activity})
		if err != nil {
			return err
		}
		if got, _ := res["activity"].(string); got != activity {
			return fmt.Errorf("%s's worker is %q after setting %q", identity, got, activity)
		}
		return nil
	})
	sc.Step(`^(\S+)'s agent desktop shows (?:her|his|their) activity as "([^"]+)"$`, func(ctx context.Context, identity, activity string) error {
		d, err := desktopOf(ctx, identity)
		if err != nil {
			return err
		}
		_, err = d.waitFor(ctx, fmt.Sprintf("the worker's activity %q", activity), func(evs []desktopEvent, i int) bool {
			if i != len(evs)-1 {
				return false
			}
			// The newest activity the SDK reported is the one shown.
			for j := i; j >= 0; j-- {
				if n := evs[j].str("event"); n == "activityUpdated" || n == "ready" {
					return evs[j].str("activity") == activity
				}
			}
			return false
		})
		return err
	})
	sc.Step(`^(\S+)'s agent desktop receives a reservation$`, func(ctx context.Context, identity string) error {
		w, d, err := worldAndDesktop(ctx, identity)
		if err != nil {
			return err
		}
		ev, err := d.waitFor(ctx, "reservationCreated", func(evs []desktopEvent, i int) bool {
			e := evs[i]
			return e.str("event") == "reservationCreated" && e.str("sid") != d.reservationSID &&
				(w.conversationSID == "" || e.str("conversationSid") == w.conversationSID) && (w.taskSID == "" || e.str("taskSid") == w.taskSID)
		})
		if err != nil {
			return err
		}
		d.reservationSID, d.conversationSID = ev.str("sid"), ev.str("conversationSid")
		return nil
	})
	sc.Step(`^(\S+) (accepts|rejects) the reservation in the agent desktop$`, func(ctx context.Context, identity, verb string) error {
		d, err := desktopOf(ctx, identity)
		if err != nil {
			return err
		}
		if d.reservationSID == "" {
			return errors.New("the agent desktop has received no reservation yet")
		}
		cmd, event := "accept", "reservation.accepted"
		if verb == "rejects" {
			cmd, event = "reject", "reservation.rejected"
		}
		if _, err := d.command(ctx, map[string]any{"cmd": cmd, "reservationSid": d.reservationSID}); err != nil {
			return err
		}
		_, err = d.waitFor(ctx, event, func(evs []desktopEvent, i int) bool {
			return evs[i].str("event") == event && evs[i].str("sid") == d.reservationSID
		})
		return err
	})
	sc.Step(`^(\S+)'s agent desktop shows the conversation with "([^"]*)"$`, func(ctx context.Context, identity, body string) error {
		w, d, err := worldAndDesktop(ctx, identity)
		if err != nil {
			return err
		}
		conv := d.conversation(w)
		if _, err := d.waitFor(ctx, "conversationJoined "+conv, func(evs []desktopEvent, i int) bool {
			return evs[i].str("event") == "conversationJoined" && (conv == "" || evs[i].str("sid") == conv)
		}); err != nil {
			return err
		}
		var seen []string
		deadline := time.Now().Add(desktopTimeout)
		for {
			res, err := d.command(ctx, map[string]any{"cmd": "getMessages", "conversationSid": conv})
			if err != nil {
				return err
			}
			seen = seen[:0]
			msgs, _ := res["messages"].([]any)
			for _, m := range msgs {
				mm, _ := m.(map[string]any)
				b, _ := mm["body"].(string)
				if b == body {
					return nil
				}
				seen = append(seen, b)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the agent desktop's conversation %s shows %q, not %q", conv, seen, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	sc.Step(`^(\S+)'s agent desktop receives the message "([^"]*)"$`, func(ctx context.Context, identity, body string) error {
		w, d, err := worldAndDesktop(ctx, identity)
		if err != nil {
			return err
		}
		conv := d.conversation(w)
		_, err = d.waitFor(ctx, fmt.Sprintf("messageAdded %q", body), func(evs []desktopEvent, i int) bool {
			e := evs[i]
			return e.str("event") == "messageAdded" && e.str("body") == body && (conv == "" || e.str("conversationSid") == conv)
		})
		return err
	})
	sc.Step(`^(\S+) replies "([^"]*)" from the agent desktop$`, func(ctx context.Context, identity, body string) error {
		w, d, err := worldAndDesktop(ctx, identity)
		if err != nil {
			return err
		}
		conv := d.conversation(w)
		if conv == "" {
			return errors.New("the agent desktop is in no conversation")
		}
		res, err := d.command(ctx, map[string]any{"cmd": "sendMessage", "conversationSid": conv, "body": body})
		if err != nil {
			return err
		}
		// Resolved means accepted by the server; wait until the conversation has it.
		index, _ := res["index"].(float64)
		deadline := time.Now().Add(desktopTimeout)
		for time.Now().Before(deadline) {
			msgs, err := w.Control.Messages(ctx, conv, int(index)-1, 2*time.Second)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if m.Body == body && m.Author == identity {
					return nil
				}
			}
		}
		return fmt.Errorf("sendMessage resolved with index %v but conversation %s has no %q from %s", res["index"], conv, body, identity)
	})
	sc.Step(`^(\S+) (wraps up|completes) the task in the agent desktop$`, func(ctx context.Context, identity, verb string) error {
		d, err := desktopOf(ctx, identity)
		if err != nil {
			return err
		}
		if d.reservationSID == "" {
			return errors.New("the agent desktop has received no reservation yet")
		}
		cmd, event := "wrapup", "reservation.wrapup"
		if verb == "completes" {
			cmd, event = "complete", "reservation.completed"
		}
		if _, err := d.command(ctx, map[string]any{"cmd": cmd, "reservationSid": d.reservationSID}); err != nil {
			return err
		}
		_, err = d.waitFor(ctx, event, func(evs []desktopEvent, i int) bool {
			return evs[i].str("event") == event && evs[i].str("sid") == d.reservationSID
		})
		return err
	})
}

// desktopEvent is one JSON line desktop.js wrote.
type desktopEvent map[string]any

func (e desktopEvent) str(k string) string { s, _ := e[k].(string); return s }

// agentDesktop is a running desktop.js for one identity.
type agentDesktop struct {
	identity string
	cmd      *exec.Cmd
	stdin    io.WriteCloser

	mu      sync.Mutex
	events  []desktopEvent
	changed chan struct{} // closed and replaced on every event
	exited  bool
	stderr  bytes.Buffer
	nextID  int

	// What the scenario's steps found.
	reservationSID, conversationSID string
}

var (
	desktopsMu sync.Mutex
	desktops   = map[*World]map[string]*agentDesktop{}
)

func desktopOf(ctx context.Context, identity string) (*agentDesktop, error) {
	_, d, err := worldAndDesktop(ctx, identity)
	return d, err
}

func worldAndDesktop(ctx context.Context, identity string) (*World, *agentDesktop, error) {
	w, err := world(ctx)
	if err != nil {
		return nil, nil, err
	}
	desktopsMu.Lock()
	d := desktops[w][identity]
	desktopsMu.Unlock()
	if d == nil {
		return nil, nil, fmt.Errorf("%s is not signed in to the agent desktop (Given %s is signed in to the agent desktop)", identity, identity)
	}
	return w, d, nil
}

// conversation is the conversation the desktop works on: its reservation's,
// else the last customer message's.
func (d *agentDesktop) conversation(w *World) string {
	if d.conversationSID != "" {
		return d.conversationSID
	}
	return w.conversationSID
}

// agentSDKDir finds examples/agentsdk with desktop.js.
func agentSDKDir() (string, error) {
	var tried []string
	try := func(dir string) bool {
		if dir == "" {
			return false
		}
		tried = append(tried, dir)
		_, err := os.Stat(filepath.Join(dir, "desktop.js"))
		return err == nil
	}
	if dir := os.Getenv("FLEXEMU_AGENTSDK_DIR"); dir != "" {
		if try(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("FLEXEMU_AGENTSDK_DIR=%s has no desktop.js", dir)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir := filepath.Join(filepath.Dir(file), "..", "..", "examples", "agentsdk"); try(dir) {
			return dir, nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if try(filepath.Join(dir, "examples", "agentsdk")) {
				return filepath.Join(dir, "examples", "agentsdk"), nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("examples/agentsdk/desktop.js not found (tried %s); set FLEXEMU_AGENTSDK_DIR", strings.Join(tried, ", "))
}

// nodeMissing reports why the desktop cannot run here: as a skip, or, with
// FLEXEMU_REQUIRE_NODE=1, as a failure.
func nodeMissing(ctx context.Context, why string) error {
	if os.Getenv("FLEXEMU_REQUIRE_NODE") == "1" {
		return fmt.Errorf("agent desktop: %s (FLEXEMU_REQUIRE_NODE=1)", why)
	}
	godog.Logf(ctx, "skipping the agent desktop scenario: %s", why)
	return fmt.Errorf("%w: agent desktop: %s", godog.ErrSkip, why)
}

func signIn(ctx context.Context, identity, line string) error {
	w, err := world(ctx)
	if err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nodeMissing(ctx, "node is not installed")
	}
	dir, err := agentSDKDir()
	if err != nil {
		return nodeMissing(ctx, err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "twilio-taskrouter", "package.json")); err != nil {
		return nodeMissing(ctx, fmt.Sprintf("%s has no node_modules (npm ci --prefix %s)", dir, dir))
	}
	if line == "" {
		line = os.Getenv("FLEXEMU_CONVERSATIONS")
	}
	if line == "" {
		line = "3"
	}
	desktopsMu.Lock()
	if desktops[w] == nil {
		desktops[w] = map[string]*agentDesktop{}
		w.OnClose(func() {
			desktopsMu.Lock()
			ds := desktops[w]
			delete(desktops, w)
			desktopsMu.Unlock()
			for _, d := range ds {
				d.close()
			}
		})
	}
	old := desktops[w][identity]
	desktopsMu.Unlock()
	if old != nil {
		old.close()
	}

	cmd := exec.Command(node, filepath.Join(dir, "desktop.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FLEXEMU_URL="+w.URL, "IDENTITY="+identity, "CONVERSATIONS="+line)
	d := &agentDesktop{identity: identity, cmd: cmd, changed: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &d.mu, w: &d.stderr}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the agent desktop: %w", err)
	}
	go d.read(stdout)
	desktopsMu.Lock()
	desktops[w][identity] = d
	desktopsMu.Unlock()

	// Signed in: the Worker is ready and the Conversations client initialized.
	if _, err := d.waitFor(ctx, "the Worker's ready event", func(evs []desktopEvent, i int) bool {
		return evs[i].str("event") == "ready"
	}); err != nil {
		return err
	}
	ev, err := d.waitFor(ctx, "the Conversations client's initialization", func(evs []desktopEvent, i int) bool {
		e := evs[i]
		return e.str("event") == "initFailed" || (e.str("event") == "stateChanged" && (e.str("state") == "initialized" || e.str("state") == "failed"))
	})
	if err != nil {
		return err
	}
	if ev.str("state") != "initialized" {
		return fmt.Errorf("the Conversations client did not initialize: %s", d.recent(10))
	}
	return nil
}

func (d *agentDesktop) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 8<<20)
	for sc.Scan() {
		var e desktopEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			e = desktopEvent{"event": "unparsed", "line": sc.Text()}
		}
		d.mu.Lock()
		d.events = append(d.events, e)
		close(d.changed)
		d.changed = make(chan struct{})
		d.mu.Unlock()
	}
	_ = d.cmd.Wait()
	d.mu.Lock()
	d.exited = true
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// waitFor waits until match accepts one of the desktop's events (match gets
// all of them and the index to judge) and returns that event.
func (d *agentDesktop) waitFor(ctx context.Context, what string, match func(evs []desktopEvent, i int) bool) (desktopEvent, error) {
	timer := time.NewTimer(desktopTimeout)
	defer timer.Stop()
	for {
		d.mu.Lock()
		evs, changed, exited := d.events, d.changed, d.exited
		d.mu.Unlock()
		for i := range evs {
			if match(evs, i) {
				return evs[i], nil
			}
		}
		if exited {
			return nil, fmt.Errorf("the agent desktop exited while waiting for %s; stderr: %s; last events: %s", what, d.stderrTail(), d.recent(15))
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, fmt.Errorf("the agent desktop did not report %s within %s; last events: %s", what, desktopTimeout, d.recent(15))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// command sends cmd to desktop.js and returns its successful result.
func (d *agentDesktop) command(ctx context.Context, cmd map[string]any) (desktopEvent, error) {
	d.mu.Lock()
	d.nextID++
	id := d.nextID
	d.mu.Unlock()
	cmd["id"] = id
	line, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := d.stdin.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("agent desktop: %w; stderr: %s", err, d.stderrTail())
	}
	res, err := d.waitFor(ctx, fmt.Sprintf("the result of %s", line), func(evs []desktopEvent, i int) bool {
		n, _ := evs[i]["id"].(float64)
		return evs[i].str("event") == "result" && int(n) == id
	})
	if err != nil {
		return nil, err
	}
	if ok, _ := res["ok"].(bool); !ok {
		msg, _ := json.Marshal(res["error"])
		return nil, fmt.Errorf("agent desktop %s failed: %s", cmd["cmd"], msg)
	}
	return res, nil
}

func (d *agentDesktop) recent(n int) string {
	d.mu.Lock()
	evs := d.events
	d.mu.Unlock()
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	var b strings.Builder
	for _, e := range evs {
		c := make(desktopEvent, len(e))
		for k, v := range e {
			if k != "t" {
				c[k] = v
			}
		}
		j, _ := json.Marshal(c)
		b.WriteString("\n  ")
		b.Write(j)
	}
	return b.String()
}

func (d *agentDesktop) stderrTail() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stderr.String()
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// close asks desktop.js to exit (it disconnects both SDKs) and kills it if it does not.
func (d *agentDesktop) close() {
	_, _ = d.stdin.Write([]byte(`{"cmd":"exit"}` + "\n"))
	_ = d.stdin.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		d.mu.Lock()
		exited := d.exited
		d.mu.Unlock()
		if exited {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
	}
}

// lockedWriter is the desktop's stderr, written by exec's copier and read by waits.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 {
		l.w.Reset()
	}
	return l.w.Write(p)
}
