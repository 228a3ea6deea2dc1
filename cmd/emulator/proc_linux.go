//go:build linux

package main

import "syscall"

// dieWithParent has the kernel SIGKILL CMD if exec itself dies without a
// chance to stop it (kill -9 of exec), so CMD is never orphaned.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
