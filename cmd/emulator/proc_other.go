//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// ownGroup does nothing where there are no process groups.
func ownGroup(*exec.Cmd) {}

// signalGroup ends cmd: without process groups or SIGTERM, killing the
// process is the one way to stop it.
func signalGroup(cmd *exec.Cmd, _ os.Signal) { _ = cmd.Process.Kill() }

// stopGroup does nothing where there are no process groups.
func stopGroup(*exec.Cmd) {}

// exitStatus is cmd's exit code.
func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }
