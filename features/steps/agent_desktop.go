package steps

// The agent desktop process behind agent_desktop_steps.go: a running
// examples/agentsdk/desktop.js, its JSON commands and its SDK events.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

// startDesktop starts desktop.js in dir for identity against the emulator
// at url, with Conversations SDK line.
func startDesktop(node, dir, url, identity, line string) (*agentDesktop, error) {
	cmd := exec.Command(node, filepath.Join(dir, "desktop.js"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "FLEXEMU_URL="+url, "IDENTITY="+identity, "CONVERSATIONS="+line)
	d := &agentDesktop{identity: identity, cmd: cmd, changed: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &d.mu, w: &d.stderr}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the agent desktop: %w", err)
	}
	go d.read(stdout)
	return d, nil
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
