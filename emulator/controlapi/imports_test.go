package controlapi_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Clients of a running emulator must not link the server: the control API
// client, the send CLI and the twilio-go hook-up import only the wire
// packages (controlapi, twilio, timeline…), never the emulator package or
// an engine.
func TestClientsDoNotLinkTheServer(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	clients := []string{"github.com/flexemu/flexemu/emulator/remote", "github.com/flexemu/flexemu/emulator/twilioclient",
		"github.com/flexemu/flexemu/cmd/send", "github.com/flexemu/flexemu/emulator/controlapi"}
	out, err := exec.Command(gobin, append([]string{"list", "-deps"}, clients...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{"emulator", "emulator/conversations", "emulator/studio", "emulator/flex",
		"emulator/taskrouter", "emulator/content", "emulator/fixture", "fixtures"}
	deps := map[string]bool{}
	for _, line := range strings.Fields(string(out)) {
		deps[line] = true
	}
	for _, f := range forbidden {
		if pkg := "github.com/flexemu/flexemu/" + f; deps[pkg] {
			t.Errorf("a client links %s; move what it needs into controlapi or the wire package", pkg)
		}
	}
}
