//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExecKilledTakesCMDWithIt: kill -9 of exec gives it no chance to stop
// CMD; the kernel's parent-death signal does, so CMD is not orphaned.
func TestExecKilledTakesCMDWithIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	emulatorBin, _ := buildBinaries(t)
	cmd := exec.Command(emulatorBin, "exec", "--", "sh", "-c", `echo $$; exec sleep 60`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no line from CMD: %v\n%s", err, stderr.String())
	}
	var pid int
	if _, err := fmt.Sscan(line, &pid); err != nil {
		t.Fatalf("CMD printed %q: %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !processGone(pid, 3*time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("CMD (pid %d) still runs after exec was killed with SIGKILL", pid)
	}
}
