// Command ctrun runs a command in a process contract: a fault boundary that
// holds the command and every process it ever starts, reports their
// events, kills them all on a fatal one and, when asked, starts the command
// again. See ctrun(1) and the semantics page.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	_ "github.com/opencontainers/cgroups/devices" // cgroup device rules (libcontainer needs it)
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // namespace set-up before the Go runtime
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/holder"
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime"
	_ "github.com/ctrun/ctrun/runtime/cinit" // the contract's init (runs before main)
	"github.com/ctrun/ctrun/terms"
)

func main() {
	// libcontainer re-executes this binary as "ctrun init" inside each new
	// contract to set it up before our init takes over.
	if len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		libcontainer.Init()
		return
	}
	// libcontainer logs warnings of its own through logrus; ctrun reports
	// what matters itself, on one line each.
	logrus.SetOutput(io.Discard)
	// The holder is one event loop and a few helpers that mostly wait: one
	// processor spares it the cross-thread hand-offs that, on a machine
	// busy with forks, cost more than the events themselves.
	goruntime.GOMAXPROCS(1)
	os.Exit(run(os.Args))
}

func run(args []string) int {
	if what := helpOrVersion(args[1:]); what != "" {
		return answer(what, os.Stdout, os.Stderr)
	}
	sigIgn, sigBlk := startSignals()
	t, argv, warnings, err := terms.Parse(args[1:])
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "ctrun: warning:", w)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ctrun: %v\n%s\n", err, terms.Usage)
		return holder.ExitUsage
	}
	if t.Adopt != 0 {
		return holder.Adopt(context.Background(), holder.Job{Terms: t, Report: os.Stderr, CreatorArgv: args})
	}
	path, status, err := lookPath(argv[0], os.Getenv("PATH"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ctrun: %v\n", err)
		return status
	}
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ctrun: cannot find the working directory: %v\n", err)
		return holder.ExitInternal
	}
	stdio, extra := inheritedFiles()
	return holder.Run(context.Background(), holder.Job{
		Terms:       t,
		Path:        path,
		Argv:        argv,
		Env:         os.Environ(),
		Dir:         dir,
		Stdio:       stdio,
		Extra:       extra,
		SigIgn:      sigIgn,
		SigBlk:      sigBlk,
		Report:      os.Stderr,
		CreatorArgv: args,
	})
}

// lookPath finds the command in the PATH ctrun was given: 127 when
// nothing is found, 126 when something is found that cannot be executed
// (a directory, a file without execute permission). Nothing is started
// either way. A PATH directory that cannot be searched hides nothing that
// could be run: it is skipped, as shells do (execvp(3) would report its
// EACCES, and so 126 for a command that is nowhere).
func lookPath(name, pathEnv string) (string, int, error) {
	if name == "" {
		return "", holder.ExitNotFound, fmt.Errorf("empty command name")
	}
	if strings.Contains(name, "/") {
		if _, err := executable(name); err != nil {
			return "", statusFor(err), fmt.Errorf("%s: %w", name, err)
		}
		return name, 0, nil
	}
	if pathEnv == "" {
		pathEnv = "/usr/local/bin:/usr/bin:/bin"
	}
	var denied error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		found, err := executable(p)
		if err == nil {
			return p, 0, nil
		}
		if found && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", holder.ExitNotExec, fmt.Errorf("%s: %w", name, denied)
	}
	return "", holder.ExitNotFound, fmt.Errorf("%s: command not found", name)
}

// executable says why path cannot be executed, if it cannot, and whether
// there is anything at path at all.
func executable(path string) (found bool, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return false, err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return true, unix.EISDIR
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return true, unix.EACCES
	}
	if err := unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS); err != nil {
		return true, err
	}
	return true, nil
}

func statusFor(err error) int {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return holder.ExitNotFound
	}
	return holder.ExitNotExec
}

// inheritedFiles returns ctrun's standard streams (nil for a closed one)
// and every other descriptor it inherited open across exec: the command
// gets them all at the same numbers, as it would without ctrun.
func inheritedFiles() ([3]*os.File, []runtime.ExtraFile) {
	var stdio [3]*os.File
	for i, f := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if _, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0); err == nil {
			stdio[i] = f
		}
	}
	var extra []runtime.ExtraFile
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return stdio, nil
	}
	for _, de := range des {
		fd, err := strconv.Atoi(de.Name())
		if err != nil || fd < 3 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue // ours, or the directory listing itself
		}
		extra = append(extra, runtime.ExtraFile{File: os.NewFile(uintptr(fd), "inherited-"+de.Name()), Target: fd})
	}
	return stdio, extra
}

// startSignals reads the signal dispositions ctrun was started with: the
// command gets the same ignored and blocked sets.
func startSignals() (ign, blk uint64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	ign, _ = procfs.Hex(b, "SigIgn:")
	blk, _ = procfs.Hex(b, "SigBlk:")
	return ign, blk
}
