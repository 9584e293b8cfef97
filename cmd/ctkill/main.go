// Command ctkill selects and signals the processes of a contract, as
// Solaris' pkill -c and pgrep -c do: the fault injector a CI harness needs
// to check that a service survives (or reports) the death of any of its
// processes. See ctkill(1).
//
// A contract is a pid namespace and its id is its init's host pid, so the
// members are the processes in that namespace other than the init (for a
// contract held without a namespace of its own, the init's descendants).
package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/getopt"
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/terms"
)

const usage = `usage: ctkill [-s signal] [-a | -p pid | -r] ctid | ctkill -l [-n] ctid | ctkill -S [-s signal] ctid`

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // no such contract, not a member, nothing to signal, refused
	exitUsage = 2
	// exitNotEmpty: -S asked for the stop, but the contract was still not
	// empty the grace period and a margin after it (stopMargin).
	exitNotEmpty = 3
)

// failf makes the one-line reason ctkill exits 1 with.
func failf(format string, a ...any) error { return fmt.Errorf(format, a...) }

func main() { os.Exit(run(os.Args[1:])) }

// mode is what ctkill was asked to do.
type mode byte

const (
	modeAll    mode = 'a'
	modePid    mode = 'p'
	modeRandom mode = 'r'
	modeList   mode = 'l'
	modeStop   mode = 'S'
)

type request struct {
	mode    mode
	sig     unix.Signal
	pid     int  // -p
	numeric bool // -l -n
	id      int
	// grace is -S's grace period (GraceEnv); graceSet: the environment
	// set it, rather than the default.
	grace    time.Duration
	graceSet bool
}

func run(args []string) int {
	if what := helpOrVersion(args); what != "" {
		return answer(what, os.Stdout, os.Stderr)
	}
	req, err := parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ctkill: %v\n%s\n", err, usage)
		return exitUsage
	}
	if req.mode == modeStop {
		if req.grace, req.graceSet, err = terms.EnvGrace(os.Getenv); err != nil {
			fmt.Fprintf(os.Stderr, "ctkill: %v\n%s\n", err, usage)
			return exitUsage
		}
	}
	if err := do(req); err != nil {
		fmt.Fprintf(os.Stderr, "ctkill: %v\n", err)
		if errors.Is(err, errNotEmpty) {
			return exitNotEmpty
		}
		return exitFail
	}
	return exitOK
}

// parse reads the command line; every error it returns is a usage error.
func parse(args []string) (request, error) {
	args, err := shortForms(args)
	if err != nil {
		return request{}, err
	}
	opts, operands, err := getopt.Parse(args, optstring)
	if err != nil {
		return request{}, err
	}
	req := request{sig: unix.SIGTERM}
	sigGiven := false
	for _, o := range opts {
		switch o.Letter {
		case 's':
			if req.sig, err = parseSignal(o.Arg); err != nil {
				return request{}, err
			}
			sigGiven = true
		case 'a', 'r', 'l', 'S':
			if req.mode != 0 && req.mode != mode(o.Letter) {
				return request{}, fmt.Errorf("-%c and -%c exclude each other", req.mode, o.Letter)
			}
			req.mode = mode(o.Letter)
		case 'p':
			if req.mode != 0 && req.mode != modePid {
				return request{}, fmt.Errorf("-%c and -p exclude each other", req.mode)
			}
			req.mode = modePid
			if req.pid, err = strconv.Atoi(o.Arg); err != nil || req.pid <= 0 {
				return request{}, fmt.Errorf("-p %q: not a process id", o.Arg)
			}
		case 'n':
			req.numeric = true
		}
	}
	if req.mode == 0 {
		req.mode = modeAll
	}
	if req.mode == modeList && sigGiven {
		return request{}, errors.New("-l lists, it does not signal: no -s with it")
	}
	if req.numeric && req.mode != modeList {
		return request{}, errors.New("-n goes with -l only")
	}
	if req.mode == modeStop && !isStopSignal(req.sig) {
		return request{}, fmt.Errorf("-S: a stop is asked for by TERM, INT, HUP or QUIT, not %s", signalName(req.sig))
	}
	switch len(operands) {
	case 0:
		return request{}, errors.New("no contract id given")
	case 1:
	default:
		return request{}, fmt.Errorf("one contract id only (%q is one too many)", operands[1])
	}
	if req.id, err = strconv.Atoi(operands[0]); err != nil || req.id <= 0 {
		return request{}, fmt.Errorf("%q: not a contract id", operands[0])
	}
	return req, nil
}

// parseSignal takes a signal by number (0 checks only) or by name, with or
// without SIG, in any case.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("-s %s: no such signal", shown(s))
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("-s %s: no such signal", shown(s))
}

func do(req request) error {
	e, err := find(req.id)
	if err != nil {
		return err
	}
	if req.mode == modeStop {
		return stop(e, req)
	}
	ms, err := members(e)
	if err != nil {
		return err
	}
	switch req.mode {
	case modeList:
		var b strings.Builder
		for _, m := range ms {
			if req.numeric {
				fmt.Fprintln(&b, m.Pid)
			} else {
				fmt.Fprintln(&b, m)
			}
		}
		_, err := os.Stdout.WriteString(b.String())
		return err
	case modeAll:
		if len(ms) == 0 {
			return failf("contract %d has no members: nothing to signal", req.id)
		}
		if req.sig == 0 {
			return nil // they exist, and the registry says they are the caller's
		}
		// The init sends it with kill(-1) from inside: a member forked
		// while the signal is on its way cannot escape it, as it could a
		// pass over the process table from here.
		if err := runtime.KillAll(e.Dir.EndpointPath(req.id), req.sig); err != nil {
			return endpointError(req.id, err)
		}
		return nil
	case modePid:
		m, ok, err := memberOf(e, req.pid)
		if err != nil {
			return err
		}
		if !ok {
			if req.pid == req.id {
				return failf("pid %d is the init of contract %d, not a member", req.pid, req.id)
			}
			return failf("pid %d is not a member of contract %d", req.pid, req.id)
		}
		if err := send(e, m, req.sig); err != nil {
			return sendError(m, err)
		}
		return nil
	case modeRandom:
		// Members may die while we choose: choose again among those left.
		for len(ms) > 0 {
			i := rand.IntN(len(ms))
			m := ms[i]
			err := send(e, m, req.sig)
			if err == nil {
				fmt.Println(m) // who was hit, for the CI log
				return nil
			}
			if !errors.Is(err, unix.ESRCH) {
				return sendError(m, err)
			}
			ms = append(ms[:i], ms[i+1:]...)
		}
		return failf("contract %d has no members: nothing to signal", req.id)
	}
	return nil
}

// find looks the contract up in the caller's registry (root: every
// user's). Someone else's contract is not found there; say so plainly.
func find(id int) (*registry.Entry, error) {
	state, err := registry.StateDir()
	if err != nil {
		return nil, err
	}
	e, err := registry.Find(registry.Dirs(state), id)
	if err == nil {
		return e, nil
	}
	if errors.Is(err, registry.ErrNoContract) {
		if registry.InsideContract() {
			// The id is a host pid, which names nothing in /proc here.
			return nil, failf("no such contract: %d (inside a contract, only that contract and those made inside it can be seen)", id)
		}
		if uid, ok := initOwner(id); ok && uid != os.Geteuid() {
			return nil, failf("contract %d belongs to another user", id)
		}
		return nil, failf("no such contract: %d", id)
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, failf("contract %d: %v", id, err)
	}
	return nil, err
}

// initOwner tells whether pid is a contract's init, and its effective uid.
func initOwner(pid int) (int, bool) {
	comm, err := procfs.Default.Comm(pid)
	if err != nil || strings.TrimSpace(comm) != registry.InitName {
		return 0, false
	}
	st, err := procfs.Default.Status(pid, &procfs.Scratch{})
	if err != nil {
		return 0, false
	}
	return st.Uid.At(1)
}

func endpointError(id int, err error) error {
	switch {
	case errors.Is(err, os.ErrPermission):
		return failf("contract %d belongs to another user", id)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ECONNREFUSED):
		return failf("contract %d is not listening (it has ended, or its init has no endpoint): %v", id, err)
	case errors.Is(err, unix.EAGAIN):
		return failf("contract %d: its init did not answer", id)
	}
	return failf("contract %d: %v", id, err)
}

func sendError(m member, err error) error {
	switch {
	case errors.Is(err, unix.ESRCH):
		return failf("pid %d has exited", m.Pid)
	case errors.Is(err, unix.EPERM):
		return failf("pid %d: not permitted (it belongs to another user)", m.Pid)
	}
	return failf("pid %d: %v", m.Pid, err)
}
