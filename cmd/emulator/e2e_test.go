package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinaries compiles the real emulator and send commands once per test
// binary, so the end-to-end test drives exactly what a user runs.
func buildBinaries(t *testing.T) (emulatorBin, sendBin string) {
	t.Helper()
	built.Do(func() {
		dir, err := os.MkdirTemp("", "flexemu-e2e")
		if err != nil {
			built.err = err
			return
		}
		built.emulator = filepath.Join(dir, "emulator")
		built.send = filepath.Join(dir, "send")
		for bin, pkg := range map[string]string{built.emulator: ".", built.send: "../send"} {
			if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
				built.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.emulator, built.send
}

var built struct {
	sync.Once
	emulator, send string
	err            error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.emulator != "" {
		_ = os.RemoveAll(filepath.Dir(built.emulator))
	}
	os.Exit(code)
}

var urlLine = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func TestUpThenSendEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emulatorBin, sendBin := buildBinaries(t)

	up := exec.Command(emulatorBin, "up", "--addr", "127.0.0.1:0")
	stdout, err := up.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	up.Stderr = os.Stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = up.Process.Kill(); _ = up.Wait() }()

	// The banner: URL, credentials, addresses, how to send.
	sc := bufio.NewScanner(stdout)
	var banner []string
	url := ""
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		banner = append(banner, line)
		if m := urlLine.FindStringSubmatch(line); m != nil {
			url = m[1]
		}
		if strings.HasPrefix(line, "APIs:") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	text := strings.Join(banner, "\n")
	for _, want := range []string{url, "account SID  AC", "auth token", "whatsapp:+14155238886", "send"} {
		if url == "" || !strings.Contains(text, want) {
			t.Fatalf("banner lacks %q:\n%s", want, text)
		}
	}

	// send prints the trace hop by hop.
	out, err := exec.Command(sendBin, "--emulator", url, "hello").CombinedOutput()
	if err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	trace := string(out)
	for _, want := range []string{"conversation.created", "participant.created", "message.created",
		"execution.created", "interaction.created", "task.created", "Assign to Anyone", "Everyone",
		"reservation.created", "alice"} {
		if !strings.Contains(trace, want) {
			t.Errorf("send output lacks %q:\n%s", want, trace)
		}
	}

	// --json is machine-readable.
	out, err = exec.Command(sendBin, "--emulator", url, "--json", "still there?").Output()
	if err != nil {
		t.Fatalf("send --json: %v", err)
	}
	var tr struct {
		ConversationSID     string `json:"conversation_sid"`
		CreatedConversation bool   `json:"created_conversation"`
		Entries             []any  `json:"entries"`
	}
	if err := json.Unmarshal(out, &tr); err != nil {
		t.Fatalf("send --json output is not JSON: %v\n%s", err, out)
	}
	if !strings.HasPrefix(tr.ConversationSID, "CH") || tr.CreatedConversation || len(tr.Entries) == 0 {
		t.Errorf("second message trace = %+v, want the existing conversation", tr)
	}

	// send --wait shows an agent's reply as it arrives.
	waiter := exec.Command(sendBin, "--emulator", url, "--wait", "20s", "one more thing")
	wout, err := waiter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = waiter.Process.Kill(); _ = waiter.Wait() }()
	ws := bufio.NewScanner(wout)
	for ws.Scan() && !strings.HasPrefix(ws.Text(), "waiting") {
	}
	form := neturl.Values{"Author": {"alice"}, "Body": {"Hi, this is Alice"}}
	req, _ := http.NewRequest("POST", url+"/conversations/v1/Conversations/"+tr.ConversationSID+"/Messages", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("AC00000000000000000000000000000001", "flexemu0000000000000000000000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("agent reply over REST: %v %v", resp, err)
	}
	resp.Body.Close()
	gotReply := false
	for ws.Scan() {
		if strings.Contains(ws.Text(), "← alice: Hi, this is Alice") {
			gotReply = true
			break
		}
	}
	if !gotReply {
		t.Fatal("send --wait did not print the agent's reply")
	}

	// SIGTERM shuts down cleanly.
	terminate(t, up, 10*time.Second)
}

// terminate sends SIGTERM to the emulator and fails unless it exits cleanly
// within the given time; it returns how long the exit took.
func terminate(t *testing.T, up *exec.Cmd, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := up.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- up.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("emulator exited with %v after SIGTERM", err)
		}
	case <-time.After(within):
		t.Fatalf("emulator did not stop within %v of SIGTERM", within)
	}
	return time.Since(start)
}

func TestSendFailsClearlyWhenEmulatorIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	_, sendBin := buildBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sendBin, "--emulator", "http://127.0.0.1:1", "hello").CombinedOutput()
	if err == nil {
		t.Fatalf("send succeeded with no emulator:\n%s", out)
	}
	if !strings.Contains(string(out), "not running") {
		t.Errorf("send's error does not say the emulator is not running:\n%s", out)
	}
}

func TestUsageAndFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage"},
		{[]string{"--help"}, 0, "emulator up"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"up", "--help"}, 0, "-fixture"},
		{[]string{"up", "--clock", "sometimes"}, 2, "--clock must be real or manual"},
		{[]string{"up", "--fixture", "/nonexistent.yaml"}, 1, "reading fixture"},
		{[]string{"up", "extra"}, 2, "unexpected argument"},
	}
	for _, c := range cases {
		var out, errOut strings.Builder
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("emulator %v = %d, %q; want %d and %q", c.args, code, out.String()+errOut.String(), c.code, c.want)
		}
	}
}

// startEmulator runs the built emulator with args and returns its URL, its
// process and a func returning what it printed on stderr so far.
func startEmulator(t *testing.T, args ...string) (string, *exec.Cmd, func() string) {
	t.Helper()
	emulatorBin, _ := buildBinaries(t)
	up := exec.Command(emulatorBin, append([]string{"up"}, args...)...)
	stdout, err := up.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var stderr strings.Builder
	up.Stderr = writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return stderr.Write(b)
	})
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Process.Kill(); _ = up.Wait() })
	sc := bufio.NewScanner(stdout)
	url := ""
	for url == "" && sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://[^ ]+:\d+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if url == "" {
		t.Fatal("the emulator printed no URL")
	}
	return url, up, func() string { mu.Lock(); defer mu.Unlock(); return stderr.String() }
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestSIGTERMIsPromptWithAHangingReceiver: with a backlog of post-event
// webhooks queued for a receiver that never answers, SIGTERM still stops
// the emulator within the shutdown grace, and it says what it abandoned.
// (It took 100 s before deliveries were abandoned after a grace period.)
func TestSIGTERMIsPromptWithAHangingReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	hang := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer receiver.Close()
	defer close(hang)

	url, up, stderr := startEmulator(t, "--addr", "127.0.0.1:0")
	form := neturl.Values{"PostWebhookUrl": {receiver.URL}, "Method": {"POST"},
		"Filters": {"onMessageAdded", "onConversationAdded", "onParticipantAdded"}}
	req, _ := http.NewRequest("POST", url+"/conversations/v1/Configuration/Webhooks", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("AC00000000000000000000000000000001", "flexemu0000000000000000000000000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("global webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	// 20 messages from one customer: their events queue behind the first
	// hanging delivery. Each inbound waits its 2 s for its own webhooks, so
	// they are sent at once.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.NewReader(fmt.Sprintf(`{"body": "message %d"}`, i))
			resp, err := http.Post(url+"/emulator/v1/inbound", "application/json", body)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 201 {
					err = fmt.Errorf("inbound %d answered %s", i, resp.Status)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	took := terminate(t, up, 15*time.Second)
	t.Logf("SIGTERM to exit with 20 events queued for a hanging receiver: %v", took)
	if log := stderr(); !strings.Contains(log, "abandoned") || !strings.Contains(log, "onMessageAdded") {
		t.Errorf("shutdown did not log what it abandoned; stderr:\n%s", log)
	}
}

// TestListeningBeyondLoopbackWarns: --addr 0.0.0.0:… says loudly that the
// unauthenticated control API is now reachable from the network.
func TestListeningBeyondLoopbackWarns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	_, up, stderr := startEmulator(t, "--addr", "0.0.0.0:0")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr(), "WARNING") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if log := stderr(); !strings.Contains(log, "WARNING") || !strings.Contains(log, "control API") || !strings.Contains(log, "NO authentication") {
		t.Fatalf("no warning about listening beyond loopback; stderr:\n%s", log)
	}
	_ = up.Process.Signal(syscall.SIGTERM)
}
