package main

import (
	"os/exec"
	"strings"
	"testing"
)

// `emulator token alice` against the built, running binary prints a token
// and both SDKs' constructor options pointing at that emulator; an unknown
// identity fails with the control API's message.
func TestTokenCommandAgainstRunningEmulator(t *testing.T) {
	url, _, _ := startEmulator(t, "--addr", "127.0.0.1:0", "--clock", "manual")
	bin, _ := buildBinaries(t)
	out, err := exec.Command(bin, "token", "--url", url, "alice").CombinedOutput()
	if err != nil {
		t.Fatalf("emulator token alice: %v\n%s", err, out)
	}
	text := string(out)
	host := strings.TrimPrefix(url, "http://")
	first := strings.SplitN(text, "\n", 2)[0]
	if strings.Count(first, ".") != 2 || !strings.HasPrefix(first, "eyJ") {
		t.Errorf("first line is not a JWT: %q", first)
	}
	for _, want := range []string{"identity alice", `ebServer: "http://` + host + `/event-bridge/v1/wschannels"`,
		`wsServer: "ws://` + host + `/event-bridge/v1/wschannels"`, `uri: "ws://` + host + `/tsock/v3/wsconnect"`} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	out, err = exec.Command(bin, "token", "--url", url, "nobody").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "No TaskRouter worker for identity \"nobody\"") {
		t.Errorf("unknown identity: %v\n%s", err, out)
	}
}
