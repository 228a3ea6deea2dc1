package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/flexemu/flexemu/emulator"
)

// killGrace is how long CMD has to exit after exec forwards a signal to it
// before exec kills its process group; the same 10 s docker stop gives.
const killGrace = 10 * time.Second

// waitDelay bounds how long exec waits for CMD's output after CMD exits,
// when a process CMD left behind still holds the pipe (tests pass writers
// that are not files).
const waitDelay = 2 * time.Second

// execCmd is `emulator exec [up flags] -- CMD ARGS…`: the emulator runs
// only while CMD does, the way `firebase emulators:exec` is used in CI.
func execCmd(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("exec", flag.ContinueOnError)
	fset.SetOutput(stderr)
	// A free port by default: exec is for CI, where several jobs may share
	// a machine and nobody reads the address but CMD, through FLEXEMU_URL.
	options := upFlags(fset, "127.0.0.1:0")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: emulator exec [flags] -- CMD [ARGS…]\n\n"+
			"Starts flexemu on a free loopback port, runs CMD with FLEXEMU_URL, TWILIO_ACCOUNT_SID,\n"+
			"TWILIO_AUTH_TOKEN (and FLEXEMU_ACCOUNT_SID, FLEXEMU_AUTH_TOKEN, FLEXEMU_API_KEY_SID,\n"+
			"FLEXEMU_API_KEY_SECRET, FLEXEMU_WORKSPACE_SID) set, stops flexemu when CMD exits and exits\n"+
			"with CMD's status (128+N when a signal N killed it). SIGINT and SIGTERM go to CMD.\n\n"+
			"Flags (those of emulator up):\n")
		fset.PrintDefaults()
	}
	flagArgs, argv, dashes := cutDashes(args)
	if err := fset.Parse(flagArgs); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if !dashes || len(argv) == 0 {
		fmt.Fprintf(stderr, "emulator exec: missing the command to run: emulator exec [flags] -- CMD [ARGS…]\n")
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "emulator exec: unexpected argument %q before --\n", fset.Arg(0))
		return 2
	}
	opts, err := options()
	if err != nil {
		fmt.Fprintf(stderr, "emulator exec: %v\n", err)
		return exitCode(err)
	}

	// A command that cannot run is said before the emulator starts.
	if _, err := exec.LookPath(argv[0]); err != nil {
		fmt.Fprintf(stderr, "emulator exec: %v\n", err)
		return 127
	}

	// Signals are caught before the emulator starts, so one that arrives
	// while it starts still stops it cleanly.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	emu, err := launch(opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "emulator exec: %v\n", err)
		return 1
	}
	url := loopbackURL(emu.URL())
	info := emu.Info(url)
	fmt.Fprintf(stderr, "flexemu exec: emulator on %s (account %s, fixture %s, %s clock); running %s\n",
		url, info.AccountSID, info.Fixture, info.ClockMode, strings.Join(argv, " "))
	if note := emu.StateNote(); note != "" {
		fmt.Fprintf(stderr, "flexemu exec: %s\n", note)
	}
	warnBeyondLoopback(stderr, emu.URL())

	status := runCommand(argv, childEnv(info), stdout, stderr, sigs)
	if err := emu.Close(); err != nil {
		fmt.Fprintf(stderr, "emulator exec: shutdown: %v\n", err)
		if status == 0 {
			status = 1
		}
	}
	return status
}

// cutDashes splits args at the first "--": the flags before it, the
// command after it, and whether there was one.
func cutDashes(args []string) (flags, argv []string, found bool) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:], true
		}
	}
	return args, nil, false
}

// runCommand runs argv in its own process group with env added to exec's
// environment and returns its exit status. A signal from sigs goes to the
// whole group; if the group has not exited killGrace later (or a second
// signal comes), it is killed. Whatever CMD leaves running in its group is
// stopped too, so exec never leaves an orphan.
func runCommand(argv, env []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	select {
	case s := <-sigs:
		fmt.Fprintf(stderr, "emulator exec: %v before %s started\n", s, argv[0])
		return signalStatus(s)
	default:
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.WaitDelay = waitDelay
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "emulator exec: %v\n", err)
		// A shell's statuses: 127 not found, 126 found but not runnable.
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return 127
		}
		return 126
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the status is read from ProcessState
		close(done)
	}()
	select {
	case <-done:
	case s := <-sigs:
		signalGroup(cmd, s)
		select {
		case <-done:
		case <-sigs:
			signalGroup(cmd, syscall.SIGKILL)
			<-done
		case <-time.After(killGrace):
			fmt.Fprintf(stderr, "emulator exec: %s did not exit within %v of %v; killing it\n", argv[0], killGrace, s)
			signalGroup(cmd, syscall.SIGKILL)
			<-done
		}
	}
	stopGroup(cmd)
	return exitStatus(cmd.ProcessState)
}

// childEnv is what CMD needs to reach the emulator: twilio-go's and
// twilio-node's own credential variables, and flexemu's names.
func childEnv(info emulator.Info) []string {
	env := []string{
		"FLEXEMU_URL=" + info.URL,
		"FLEXEMU_ACCOUNT_SID=" + info.AccountSID,
		"FLEXEMU_AUTH_TOKEN=" + info.AuthToken,
		"TWILIO_ACCOUNT_SID=" + info.AccountSID,
		"TWILIO_AUTH_TOKEN=" + info.AuthToken,
	}
	if len(info.APIKeys) > 0 {
		env = append(env, "FLEXEMU_API_KEY_SID="+info.APIKeys[0].SID, "FLEXEMU_API_KEY_SECRET="+info.APIKeys[0].Secret)
	}
	if info.Workspace != nil {
		env = append(env, "FLEXEMU_WORKSPACE_SID="+info.Workspace.SID)
	}
	return env
}

// loopbackURL turns an emulator URL on an unspecified address (0.0.0.0,
// which Go reports as [::]) into one CMD can dial: the same port on
// 127.0.0.1, which Go's dual-stack listener accepts even where a
// container has no IPv6 loopback.
func loopbackURL(url string) string {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	if err != nil {
		return url
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// signalStatus is a shell's status for a process a signal ended: 128+N.
func signalStatus(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}
