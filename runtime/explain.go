package runtime

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// libcontainer reports a refusal of the environment in its own words
// ("nsexec-1[42]: failed to unshare remaining namespaces: Operation not
// permitted"); a user is told the cause and the remedy instead.

// namespacesRefused says why making the contract's namespaces failed with
// err, "" when err is no such refusal.
func namespacesRefused(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if mountRefused(err) {
		// Namespaces, but no mount in them (AppArmor's docker-default
		// profile, a seccomp filter on mount): no host root can be shown.
		return "mounting in a new namespace is refused (a security module or a seccomp filter)"
	}
	if !strings.Contains(s, "unshare") && !strings.Contains(s, "namespace") && !strings.Contains(s, "nsexec") &&
		!strings.Contains(s, "clone") && !strings.Contains(s, "uid_map") && !strings.Contains(s, "setgroups") {
		return ""
	}
	switch {
	case errors.Is(err, unix.EPERM), strings.Contains(s, "operation not permitted"), strings.Contains(s, "Operation not permitted"):
		return "the environment refuses namespaces (a seccomp filter, a missing capability or a security module)"
	case errors.Is(err, unix.ENOSPC), strings.Contains(s, "No space left"):
		return "the limit of namespaces is reached (raise user.max_user_namespaces or user.max_pid_namespaces with sysctl)"
	}
	return ""
}

// explain turns an error of libcontainer's into one a user can act on,
// where it knows the cause.
func explain(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "read-only file system") && strings.Contains(s, "cgroup"):
		return fmt.Errorf("cannot make the contract's cgroup: the cgroup file system is read-only")
	}
	if why := limitReached(err); why != "" {
		return errors.New(why)
	}
	return err
}

// limitReached says which limit err ran into, "" when none: libcontainer
// reports it at the end of a chain of its own steps, or (from its C
// stages) only in words.
func limitReached(err error) string {
	s := err.Error()
	switch {
	case errors.Is(err, unix.EMFILE) || strings.Contains(s, "too many open files") || strings.Contains(s, "Too many open files"),
		// Go's fork and exec moves the descriptors it hands over through
		// numbers above the highest of them: past the limit, EBADF.
		strings.Contains(s, "fork/exec") && errors.Is(err, unix.EBADF):
		var lim unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
			return fmt.Sprintf("too many open files: the limit on open files (ulimit -Hn, %d) is too low for ctrun and its contract's init", lim.Max)
		}
		return "too many open files: the limit on open files (ulimit -n) is too low for ctrun and its contract's init"
	case errors.Is(err, unix.ENFILE) || strings.Contains(s, "file table overflow"):
		return "too many open files on the machine (fs.file-max)"
	case errors.Is(err, unix.EAGAIN) || strings.Contains(s, "resource temporarily unavailable") || strings.Contains(s, "Resource temporarily unavailable"):
		if strings.Contains(s, "fork") || strings.Contains(s, "clone") || strings.Contains(s, "exec") || strings.Contains(s, "start") {
			return "cannot start a process: the limit on processes is reached (the pids.max of ctrun's cgroup, or ulimit -u)"
		}
	}
	return ""
}

// mountRefused says whether err is libcontainer's refusal to mount (or
// pivot_root) in the contract's new mount namespace.
func mountRefused(err error) bool {
	s := err.Error()
	if !strings.Contains(s, "pivot_root") && !strings.Contains(s, "mount") {
		return false
	}
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) ||
		strings.Contains(s, "permission denied") || strings.Contains(s, "operation not permitted")
}
