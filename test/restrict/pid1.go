package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// runPid1 is -pid1's first stage. A process cannot become PID 1 of a
// namespace itself, and /proc of the new namespace can only be mounted
// from inside it, so restrict runs itself again as the namespace's first
// process (in a new mount namespace too, for that /proc, and a new network
// namespace if asked), which applies the rest and executes the command.
// This process stays outside as its parent: it passes stop signals on and
// exits with the command's status.
func runPid1(c config, args []string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("-pid1: find restrict's own binary: %w", err)
	}
	flags := uintptr(unix.CLONE_NEWPID | unix.CLONE_NEWNS)
	if c.netns {
		flags |= unix.CLONE_NEWNET
	}
	argv := append([]string{os.Args[0], "-" + pid1ChildFlag}, args...)
	attr := &syscall.SysProcAttr{
		Cloneflags: flags,
		// If restrict is killed, its namespace ends with it, as a
		// container does when its runtime kills it. (The main thread,
		// which forks, never exits before the process: see init.)
		Pdeathsig: unix.SIGKILL,
	}
	return supervise(self, argv, attr)
}

// supervise runs path with argv as a child with this process's streams
// and environment, passes stop signals on to it (those docker stop and a
// terminal send), and returns the status to exit with: its own, or 128+N
// if signal N killed it.
func supervise(path string, argv []string, attr *syscall.SysProcAttr) (int, error) {
	cmd := exec.Command(path)
	cmd.Args = argv
	cmd.Env = os.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = attr
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			// The child may be gone already: then there is no one to
			// tell, and its status is on its way.
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				return 0, fmt.Errorf("wait for %s: %w", argv[0], err)
			}
			return exitCode(cmd.ProcessState.Sys().(syscall.WaitStatus)), nil
		}
	}
}

// exitCode is the status a parent passes on for a child's wait status, as
// a shell (and docker run) does.
func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return exitFailure
}

// join enters the namespaces of process pid that differ from this
// process's, on this (the main) thread: those restrict can make (network,
// PID, mount). It reports whether the PID namespace was one: only children
// are born into it, so the command must be forked.
func join(pid int) (fork bool, err error) {
	// The mount namespace comes last: once in it, /proc may be another
	// PID namespace's.
	joinable := []struct {
		name string
		flag int
	}{
		{"net", unix.CLONE_NEWNET},
		{"pid", unix.CLONE_NEWPID},
		{"mnt", unix.CLONE_NEWNS},
	}
	type target struct {
		name string
		flag int
		f    *os.File
	}
	var targets []target
	defer func() {
		for _, t := range targets {
			t.f.Close()
		}
	}()
	// Open every namespace first: /proc is read through the mount
	// namespace, which changes last.
	for _, ns := range joinable {
		theirs := fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name)
		same, err := sameFile(theirs, "/proc/self/ns/"+ns.name)
		if err != nil {
			return false, fmt.Errorf("-join %d: %w", pid, err)
		}
		if same {
			continue
		}
		f, err := os.Open(theirs)
		if err != nil {
			return false, fmt.Errorf("-join %d: %w", pid, err)
		}
		targets = append(targets, target{ns.name, ns.flag, f})
	}
	for _, t := range targets {
		if t.flag == unix.CLONE_NEWNS {
			// The kernel lets a thread change its mount namespace only
			// if it shares its file-system information with no other
			// thread: this thread takes its own copy first.
			if err := unix.Unshare(unix.CLONE_FS); err != nil {
				return false, fmt.Errorf("-join %d: unshare the file-system information: %w", pid, err)
			}
		}
		if err := unix.Setns(int(t.f.Fd()), t.flag); err != nil {
			return false, fmt.Errorf("-join %d: enter its %s namespace: %w", pid, t.name, err)
		}
		if t.flag == unix.CLONE_NEWPID {
			fork = true
		}
	}
	return fork, nil
}

// sameFile: a and b name the same namespace (the same inode).
func sameFile(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("stat %s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("stat %s: %w", b, err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}
