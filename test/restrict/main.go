// Command restrict runs a command under the restrictions ctrun meets in
// containers and on locked-down hosts, simulated without Docker, so that the
// integration tests can check ctrun's behaviour there on any machine where
// they run as root.
//
//	restrict [flags] -- command [args...]
//
// The flags combine:
//
//	-netns     a new network namespace: the kernel's process-events
//	           connector lives in the first one only and refuses to
//	           subscribe anywhere else, as in every container
//	-nons      a seccomp filter refusing namespaces and mounts the way
//	           Docker's default profile does for a process without
//	           CAP_SYS_ADMIN: EPERM for unshare, setns, mount, umount2,
//	           pivot_root, bpf and the new mount API, and for clone with any
//	           CLONE_NEW* flag; ENOSYS for clone3
//	-nouserns  the same filter refusing only user namespaces (unshare and
//	           clone with CLONE_NEWUSER), as hosts that disable them do
//	-rocgroup  a private mount namespace in which /sys/fs/cgroup and every
//	           hierarchy below it are read-only
//	-cgroup2   a private mount namespace with the unified (v2) hierarchy
//	           mounted at /sys/fs/cgroup: a cgroup v2 host
//	-pid1      the command is PID 1 of a new PID namespace with its own
//	           /proc (as with unshare -fp --mount-proc); restrict waits for
//	           it, passes SIGTERM, SIGINT, SIGHUP and SIGQUIT on, and exits
//	           with its status (128+N for a death by signal N)
//	-user UID[:GID]  run the command as UID and GID (GID defaults to UID),
//	           without supplementary groups; the namespaces are made first,
//	           the seccomp filter is installed after
//	-join PID  enter the network, PID and mount namespaces of process PID
//	           instead of making any (as docker exec does); combines with
//	           -nons, -nouserns and -user only
//
// Without -pid1 (and without -join into another PID namespace) the command
// replaces restrict: no process is added. Nothing is mounted outside the
// private mount namespace, whose propagation is made private before any
// mount, so the host's own mounts and their propagation never change. The
// environment and the standard streams pass through unchanged. restrict's
// own failures are one line on standard error and exit status 125.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitFailure is restrict's own failure status, distinct from the usual
// statuses of the commands it runs (as docker run's 125).
const exitFailure = 125

// pid1ChildFlag marks the second stage of -pid1: restrict re-executed as
// PID 1 of the new PID namespace, to mount its /proc and apply the other
// restrictions before it executes the command. Not for users.
const pid1ChildFlag = "internal-pid1-child"

func init() {
	// Namespaces made with unshare and entered with setns belong to the
	// calling thread only; exec takes the calling thread's. Keeping the
	// main goroutine on the main thread makes them the same thread, and
	// keeps that thread alive for -pid1's parent-death signal.
	runtime.LockOSThread()
}

// config is what the command line asks for.
type config struct {
	netns, nons, nouserns bool
	rocgroup, cgroup2     bool
	pid1                  bool
	// pid1Child: this is the second stage of -pid1, running as PID 1.
	pid1Child bool
	// uid and gid to run the command as; -1 keeps restrict's own.
	uid, gid int
	// join is the process whose namespaces to enter; 0 for none.
	join int
	// argv is the command.
	argv []string
}

// usage is printed for -h; flag's own listing would show the internal
// flag and is many lines for an error.
const usage = `usage: restrict [-netns] [-nons|-nouserns] [-rocgroup] [-cgroup2] [-pid1] [-user UID[:GID]] [-join PID] -- command [args...]`

// errHelp is parseArgs' answer to -h.
var errHelp = errors.New("help requested")

// parseArgs reads restrict's command line (without argv[0]).
func parseArgs(args []string) (config, error) {
	c := config{uid: -1, gid: -1}
	fs := flag.NewFlagSet("restrict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&c.netns, "netns", false, "")
	fs.BoolVar(&c.nons, "nons", false, "")
	fs.BoolVar(&c.nouserns, "nouserns", false, "")
	fs.BoolVar(&c.rocgroup, "rocgroup", false, "")
	fs.BoolVar(&c.cgroup2, "cgroup2", false, "")
	fs.BoolVar(&c.pid1, "pid1", false, "")
	fs.BoolVar(&c.pid1Child, pid1ChildFlag, false, "")
	user := fs.String("user", "", "")
	fs.IntVar(&c.join, "join", 0, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, err
	}
	c.argv = fs.Args()
	if len(c.argv) == 0 {
		return c, errors.New("no command to run")
	}
	if *user != "" {
		u, g, err := parseUser(*user)
		if err != nil {
			return c, err
		}
		c.uid, c.gid = u, g
	}
	if c.join < 0 {
		return c, fmt.Errorf("-join %d: not a process id", c.join)
	}
	if c.join > 0 && (c.netns || c.rocgroup || c.cgroup2 || c.pid1) {
		return c, errors.New("-join enters existing namespaces: it does not combine with -netns, -rocgroup, -cgroup2 or -pid1")
	}
	if c.pid1Child && !c.pid1 {
		return c, fmt.Errorf("-%s is restrict's own, for -pid1", pid1ChildFlag)
	}
	return c, nil
}

// parseUser reads -user's UID[:GID].
func parseUser(s string) (uid, gid int, err error) {
	us, gs, hasGid := strings.Cut(s, ":")
	uid, err = strconv.Atoi(us)
	if err != nil || uid < 0 {
		return 0, 0, fmt.Errorf("-user %q: the uid is not a non-negative number", s)
	}
	gid = uid
	if hasGid {
		gid, err = strconv.Atoi(gs)
		if err != nil || gid < 0 {
			return 0, 0, fmt.Errorf("-user %q: the gid is not a non-negative number", s)
		}
	}
	return uid, gid, nil
}

// filter is the seccomp policy the configuration asks for, if any: -nons
// refuses user namespaces too, so it wins over -nouserns.
func (c config) filter() (policy, bool) {
	switch {
	case c.nons:
		return namespacePolicy(), true
	case c.nouserns:
		return userNamespacePolicy(), true
	}
	return policy{}, false
}

// privateMounts: the configuration mounts something, so it needs a mount
// namespace of its own.
func (c config) privateMounts() bool { return c.rocgroup || c.cgroup2 || c.pid1Child }

func main() {
	c, err := parseArgs(os.Args[1:])
	if errors.Is(err, errHelp) {
		fmt.Println(usage)
		os.Exit(0)
	}
	if err != nil {
		fail(fmt.Errorf("%w (%s)", err, usage))
	}
	if c.pid1 && !c.pid1Child {
		code, err := runPid1(c, os.Args[1:])
		if err != nil {
			fail(err)
		}
		os.Exit(code)
	}
	fork, err := restrict(c)
	if err != nil {
		fail(err)
	}
	path, err := exec.LookPath(c.argv[0])
	if err != nil {
		fail(fmt.Errorf("find the command: %w", err))
	}
	if fork {
		code, err := supervise(path, c.argv, nil)
		if err != nil {
			fail(err)
		}
		os.Exit(code)
	}
	err = syscall.Exec(path, c.argv, os.Environ())
	fail(fmt.Errorf("execute %s: %w", c.argv[0], err))
}

// restrict applies the configuration to this process (its main thread),
// in the order that keeps every step possible: namespaces and mounts while
// still root, then the user, then the seccomp filter, which would refuse
// the mounts. It reports whether the command must be forked rather than
// executed (to enter another PID namespace, which only children join).
func restrict(c config) (fork bool, err error) {
	if c.join > 0 {
		if fork, err = join(c.join); err != nil {
			return false, err
		}
	}
	if c.netns && !c.pid1Child { // -pid1's child was cloned into one
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return false, fmt.Errorf("new network namespace: %w", err)
		}
	}
	if c.privateMounts() {
		if err := privateMountNamespace(!c.pid1Child); err != nil {
			return false, err
		}
	}
	if c.pid1Child {
		if err := mountProc(); err != nil {
			return false, err
		}
	}
	if c.cgroup2 {
		if err := mountCgroup2(); err != nil {
			return false, err
		}
	}
	if c.rocgroup {
		if err := readOnlyCgroups(); err != nil {
			return false, err
		}
	}
	if c.uid >= 0 {
		if err := becomeUser(c.uid, c.gid); err != nil {
			return false, err
		}
		if c.pid1Child {
			// A change of credentials clears the parent-death signal
			// -pid1's parent asked for; ask again.
			if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
				return false, fmt.Errorf("parent-death signal: %w", err)
			}
		}
	}
	if p, ok := c.filter(); ok {
		if err := installFilter(p); err != nil {
			return false, err
		}
	}
	return fork, nil
}

// becomeUser drops to uid and gid with no supplementary groups. The
// syscall package's calls change every thread, as a process-wide drop
// must.
func becomeUser(uid, gid int) error {
	if err := syscall.Setgroups([]int{}); err != nil {
		return fmt.Errorf("drop supplementary groups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("become gid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("become uid %d: %w", uid, err)
	}
	return nil
}

// fail ends restrict with its own failure: one line, status 125.
func fail(err error) {
	fmt.Fprintf(os.Stderr, "restrict: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(exitFailure)
}
