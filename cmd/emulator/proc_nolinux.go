//go:build unix && !linux

package main

import "syscall"

// dieWithParent: only Linux has a parent-death signal; elsewhere a kill -9
// of exec leaves CMD running.
func dieWithParent(*syscall.SysProcAttr) {}
