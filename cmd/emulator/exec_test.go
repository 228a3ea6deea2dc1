//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runExec runs the built `emulator exec args…` in dir with extra
// environment and stdin, and returns CMD's stdout, exec's stderr and
// exec's exit status.
func runExec(t *testing.T, dir string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	emulatorBin, _ := buildBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, emulatorBin, append([]string{"exec"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("emulator exec %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func TestExecUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"exec"}, 2, "missing the command to run"},
		{[]string{"exec", "--"}, 2, "missing the command to run"},
		{[]string{"exec", "go", "test"}, 2, "missing the command to run"},
		{[]string{"exec", "extra", "--", "true"}, 2, `unexpected argument "extra" before --`},
		{[]string{"exec", "--help"}, 0, "-fixture"},
		{[]string{"exec", "--clock", "sometimes", "--", "true"}, 2, "--clock must be real or manual"},
		{[]string{"exec", "--fixture", "/nonexistent.yaml", "--", "true"}, 1, "reading fixture"},
		{[]string{"exec", "--", "/nonexistent/flexemu-cmd"}, 127, "no such file"},
	}
	for _, c := range cases {
		var out, errOut strings.Builder
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("emulator %v = %d, %q; want %d and %q", c.args, code, out.String()+errOut.String(), c.code, c.want)
		}
	}
}

// TestExecPassesStatusEnvironmentAndStreams: CMD's exit status (128+N for
// a signal) is exec's; CMD sees the emulator's URL and credentials, its
// stdin is exec's, its stdout is exec's and carries nothing else; up's
// flags apply.
func TestExecPassesStatusEnvironmentAndStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	printEnv := `printf '%s|%s|%s|%s|%s' "$FLEXEMU_URL" "$TWILIO_ACCOUNT_SID" "$TWILIO_AUTH_TOKEN" "$FLEXEMU_ACCOUNT_SID" "$FLEXEMU_WORKSPACE_SID"`
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // a regexp CMD's whole stdout matches
		warns bool   // whether exec warns about listening beyond loopback
	}{
		{"exit status", []string{"--", "sh", "-c", "exit 7"}, "", 7, `^$`, false},
		{"killed by a signal", []string{"--", "sh", "-c", "kill -TERM $$"}, "", 128 + 15, `^$`, false},
		{"environment", []string{"--", "sh", "-c", printEnv}, "", 0,
			`^http://127\.0\.0\.1:\d+\|AC00000000000000000000000000000001\|flexemu0000000000000000000000000\|AC00000000000000000000000000000001\|WS[0-9a-f]{32}$`, false},
		{"up's flags", []string{"--account-sid", "AC00000000000000000000000000000099", "--auth-token", "secret", "--", "sh", "-c", printEnv}, "", 0,
			`^http://127\.0\.0\.1:\d+\|AC00000000000000000000000000000099\|secret\|AC00000000000000000000000000000099\|WS`, false},
		{"stdin", []string{"--", "cat"}, "from exec's stdin", 0, `^from exec's stdin$`, false},
		{"beyond loopback", []string{"--addr", "0.0.0.0:0", "--", "sh", "-c", printEnv}, "", 0, `^http://127\.0\.0\.1:\d+\|AC`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runExec(t, ".", nil, c.stdin, c.args...)
			if code != c.code || !regexp.MustCompile(c.out).MatchString(out) {
				t.Errorf("exec %v = %d, stdout %q; want %d and %s\nstderr:\n%s", c.args, code, out, c.code, c.out, stderr)
			}
			if !strings.HasPrefix(stderr, "flexemu exec: emulator on http://127.0.0.1:") {
				t.Errorf("stderr does not start with the banner:\n%s", stderr)
			}
			if warned := strings.Contains(stderr, "WARNING") && strings.Contains(stderr, "NO authentication"); warned != c.warns {
				t.Errorf("warned about listening beyond loopback: %v, want %v\n%s", warned, c.warns, stderr)
			}
		})
	}
}

// TestExecRunsGoTestAgainstTheEmulator: a team's twilio-go tests under
// `emulator exec -- go test`; exec's status is go test's.
func TestExecRunsGoTestAgainstTheEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and a test package")
	}
	args := []string{"--", "go", "test", "-count=1"}
	if raceEnabled() {
		// The race build of twilio-go is the one make test has cached.
		args = append(args, "-race")
	}
	args = append(args, "./cmd/emulator/testdata/execsample")
	out, stderr, code := runExec(t, "../..", nil, "", args...)
	if code != 0 || !strings.HasPrefix(out, "ok") {
		t.Fatalf("exec go test = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	// go test exits 1 when a test fails.
	out, stderr, code = runExec(t, "../..", []string{"FLEXEMU_SAMPLE_FAIL=1"}, "", args...)
	if code != 1 || !strings.Contains(out, "--- FAIL: TestCreateThenReadBack") {
		t.Fatalf("exec go test with a failing test = %d; want go test's 1\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}

// TestExecRunsANodeScript: twilio-node under `emulator exec -- node`.
func TestExecRunsANodeScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	_, err := exec.LookPath("node")
	_, modErr := os.Stat("../../examples/node/node_modules/twilio/package.json")
	if err != nil || modErr != nil {
		if os.Getenv("FLEXEMU_REQUIRE_NODE") == "1" {
			t.Fatalf("node (%v) or examples/node/node_modules (%v) missing; run scripts/install-test-deps.sh", err, modErr)
		}
		t.Skip("node or examples/node/node_modules not installed (make test-deps)")
	}
	out, stderr, code := runExec(t, "testdata", nil, "", "--", "node", "exec-node.js")
	if code != 0 || !regexp.MustCompile(`^WT[0-9a-f]{32}\n$`).MatchString(out) {
		t.Fatalf("exec node exec-node.js = %d, stdout %q; want 0 and a task SID\nstderr:\n%s", code, out, stderr)
	}
}

// TestExecSIGTERMStopsCommandAndEmulator: SIGTERM to exec reaches
// everything CMD started; exec exits at once with CMD's status, leaves no
// process behind and no port open.
func TestExecSIGTERMStopsCommandAndEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emulatorBin, _ := buildBinaries(t)
	cmd := exec.Command(emulatorBin, "exec", "--", "sh", "-c", `sleep 60 & echo "$! $FLEXEMU_URL"; wait`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no line from CMD: %v\n%s", err, stderr.String())
	}
	var sleepPID int
	var url string
	if _, err := fmt.Sscan(line, &sleepPID, &url); err != nil {
		t.Fatalf("CMD printed %q: %v", line, err)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("exec did not exit within 10 s of SIGTERM\n%s", stderr.String())
	}
	t.Logf("SIGTERM to exit: %v", time.Since(start))
	if code := cmd.ProcessState.ExitCode(); code != 128+15 {
		t.Errorf("exec exited %d; want 143, sh's death by SIGTERM\n%s", code, stderr.String())
	}
	if !processGone(sleepPID, 2*time.Second) {
		t.Errorf("CMD's child %d (sleep 60) still runs after exec exited", sleepPID)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("the emulator still listens on %s after exec exited", url)
	}
}

// TestExecStopsWhatCMDLeavesBehind: a background process CMD started and
// did not wait for is stopped with the emulator, not orphaned.
func TestExecStopsWhatCMDLeavesBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	out, stderr, code := runExec(t, ".", nil, "", "--", "sh", "-c", "sleep 60 >/dev/null & echo $!")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if code != 0 || err != nil {
		t.Fatalf("exec = %d, stdout %q\n%s", code, out, stderr)
	}
	if !processGone(pid, 2*time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("sleep %d, left behind by CMD, still runs after exec exited", pid)
	}
}

// processGone reports whether pid has exited (or is a zombie waiting for a
// parent to reap it) within d.
func processGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			return true
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// pid (comm) STATE …; comm may hold spaces, so read after the last ')'.
			if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

func TestLoopbackURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:7070": "http://127.0.0.1:7070",
		"http://[::]:7070":      "http://127.0.0.1:7070",
		"http://0.0.0.0:7070":   "http://127.0.0.1:7070",
		"http://[::1]:7070":     "http://[::1]:7070",
		"http://10.1.2.3:7070":  "http://10.1.2.3:7070",
	} {
		if got := loopbackURL(in); got != want {
			t.Errorf("loopbackURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExecKeepsStateAcrossRuns: with --state, exec restores the file at
// start and saves it when CMD is done, as up does on a clean shutdown; the
// second run's message continues the first run's conversation.
func TestExecKeepsStateAcrossRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	_, sendBin := buildBinaries(t)
	state := t.TempDir() + "/flexemu.state"
	var sids [2]string
	for i, body := range []string{"hello", "still there?"} {
		out, stderr, code := runExec(t, ".", nil, "", "--state", state, "--", sendBin, "--json", body)
		var tr struct {
			ConversationSID     string `json:"conversation_sid"`
			CreatedConversation bool   `json:"created_conversation"`
		}
		if err := json.Unmarshal([]byte(out), &tr); code != 0 || err != nil {
			t.Fatalf("run %d: exec send = %d, %v\nstdout:\n%s\nstderr:\n%s", i+1, code, err, out, stderr)
		}
		if tr.CreatedConversation != (i == 0) {
			t.Errorf("run %d: created a conversation: %v\nstderr:\n%s", i+1, tr.CreatedConversation, stderr)
		}
		sids[i] = tr.ConversationSID
		if _, err := os.Stat(state); err != nil {
			t.Fatalf("run %d: no state file after exec: %v\nstderr:\n%s", i+1, err, stderr)
		}
	}
	if sids[0] == "" || sids[1] != sids[0] {
		t.Errorf("conversations %q then %q; want the first one restored", sids[0], sids[1])
	}
}
