package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
)

// upWithState runs the built emulator with --state and returns its URL, its
// process and what it printed on stdout up to and including the banner's
// state line.
func upWithState(t *testing.T, state string) (string, *exec.Cmd, string) {
	t.Helper()
	emulatorBin, _ := buildBinaries(t)
	up := exec.Command(emulatorBin, "up", "--addr", "127.0.0.1:0", "--state", state)
	stdout, err := up.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	up.Stderr = os.Stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Process.Kill(); _ = up.Wait() })
	sc := bufio.NewScanner(stdout)
	var printed strings.Builder
	url := ""
	for sc.Scan() {
		line := sc.Text()
		printed.WriteString(line + "\n")
		if m := regexp.MustCompile(`listening on (http://[^ ]+:\d+)`).FindStringSubmatch(line); m != nil {
			url = m[1]
		}
		if strings.Contains(line, state) { // the state line comes last
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if url == "" {
		t.Fatalf("the emulator printed no URL:\n%s", printed.String())
	}
	return url, up, printed.String()
}

// e2eClient calls one emulator as the default account.
type e2eClient struct {
	t   *testing.T
	url string
}

func (c e2eClient) do(method, path string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error()) // the process may have been killed
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// create makes one object and returns the path it reads at ("" if the call
// did not complete): a content template, or every fifth time a customer
// message that opens a conversation (and its task, interaction, execution).
func (c e2eClient) create(i int) string {
	if i%5 == 0 {
		code, body := c.do("POST", emulator.ControlPrefix+"/inbound", map[string]string{
			"from": fmt.Sprintf("+1555%07d", i), "to": "+15017122661", "body": fmt.Sprintf("message %d", i)})
		var tr struct {
			ConversationSID string `json:"conversation_sid"`
		}
		if code != http.StatusCreated || json.Unmarshal(body, &tr) != nil {
			return ""
		}
		return "/conversations/v1/Conversations/" + tr.ConversationSID
	}
	code, body := c.do("POST", "/content/v1/Content", map[string]any{"friendly_name": fmt.Sprintf("template %d", i),
		"language": "en", "types": map[string]any{"twilio/text": map[string]string{"body": "hi"}}})
	var tpl struct {
		SID string `json:"sid"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &tpl) != nil {
		return ""
	}
	return "/content/v1/Content/" + tpl.SID
}

// TestSnapshotSurvivesKill9DuringSaves saves in a loop while objects are
// created, kills the emulator with SIGKILL at a random moment, and checks
// every time that the state file is a whole snapshot and that a restart
// restores every object created before the last save that completed; a
// final SIGTERM saves what came after the last explicit save.
func TestSnapshotSurvivesKill9DuringSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	state := filepath.Join(t.TempDir(), "state.json")
	var saved []string // paths of objects the last completed save holds, all rounds
	next := 0
	for round := 0; round < 5; round++ {
		url, up, printed := upWithState(t, state)
		c := e2eClient{t: t, url: url}
		want := "restored 1 account from " + state
		if round == 0 {
			want = "no state file yet at " + state + ": applied fixture default.yaml"
		}
		if !strings.Contains(printed, want) {
			t.Fatalf("round %d: the banner does not say %q:\n%s", round, want, printed)
		}
		for _, p := range saved {
			if code, body := c.do("GET", p, nil); code != 200 {
				t.Fatalf("round %d: %s saved before the kill reads %d %s after the restart", round, p, code, body)
			}
		}

		var mu sync.Mutex
		var created []string
		for i := 0; i < 10; i++ { // so that every save of the round holds some
			next++
			if p := c.create(next); p != "" {
				created = append(created, p)
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the user's traffic
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				next++
				if p := c.create(next); p != "" {
					mu.Lock()
					created = append(created, p)
					mu.Unlock()
				}
			}
		}()
		lastGood := -1
		var lastBody []byte
		// The kill comes at a random moment after the first save completed
		// (saves slow down as the state grows; a round without any would
		// prove nothing).
		firstSaved, killed := make(chan struct{}), make(chan struct{})
		go func() {
			<-firstSaved
			time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
			_ = up.Process.Kill()
			close(killed)
		}()
		saves := 0
	loop:
		for {
			mu.Lock()
			before := len(created) // all of these completed before the save began
			mu.Unlock()
			code, body := c.do("POST", emulator.ControlPrefix+"/snapshot", nil)
			wait := time.Duration(0)
			if code != 200 {
				wait = 2 * time.Second // a failure is the kill's, which may not be marked yet
			}
			select {
			case <-killed:
				break loop
			case <-time.After(wait):
			}
			if code != 200 {
				t.Fatalf("round %d: POST /snapshot = %d %s", round, code, body)
			}
			saves++
			lastGood, lastBody = before, body
			if saves == 1 {
				close(firstSaved)
			}
		}
		close(stop)
		wg.Wait()
		_ = up.Wait()
		if saves == 0 || lastGood < 0 {
			t.Fatalf("round %d: no save completed before the kill", round)
		}

		data, err := os.ReadFile(state)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var doc struct {
			Format int `json:"flexemu_snapshot"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.Format != emulator.SnapshotFormat {
			t.Fatalf("round %d: the state file is torn after kill -9 during saves (%d bytes): %v", round, len(data), err)
		}
		mu.Lock()
		saved = append(saved, created[:lastGood]...)
		mu.Unlock()
		for _, p := range saved { // the file is the last completed save or a later one
			if sid := p[strings.LastIndex(p, "/")+1:]; !bytes.Contains(data, []byte(sid)) || !bytes.Contains(lastBody, []byte(sid)) {
				t.Fatalf("round %d: %s, created before the last completed save, is not in it or in the state file", round, sid)
			}
		}
		t.Logf("round %d: %d saves, killed after %d objects, %d of them in the last completed save", round, saves, len(created), lastGood)
		entries, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".state.json.tmp-*"))
		if len(entries) > 1 {
			t.Fatalf("round %d: more than one temporary file: %v", round, entries)
		}
	}

	// A clean shutdown saves what came after the last explicit snapshot.
	url, up, printed := upWithState(t, state)
	if !strings.Contains(printed, "restored 1 account from "+state) {
		t.Fatalf("the banner does not say the state was restored:\n%s", printed)
	}
	c := e2eClient{t: t, url: url}
	var late []string
	for i := 0; i < 6; i++ {
		next++
		if p := c.create(next); p != "" {
			late = append(late, p)
		}
	}
	if len(late) != 6 {
		t.Fatalf("only %d of 6 objects were created", len(late))
	}
	terminate(t, up, 10*time.Second)
	url, _, _ = upWithState(t, state)
	c = e2eClient{t: t, url: url}
	for _, p := range append(saved, late...) {
		if code, body := c.do("GET", p, nil); code != 200 {
			t.Fatalf("%s reads %d %s after SIGTERM and a restart", p, code, body)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".state.json.tmp-*")); len(entries) != 0 {
		t.Fatalf("a restart left the temporary files of killed saves: %v", entries)
	}
}
