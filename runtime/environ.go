package runtime

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// Environment is what the environment allows a contract, found out once,
// at start, by Probe.
type Environment struct {
	// Root: ctrun runs as root (euid 0).
	Root bool
	// PID1: ctrun is PID 1 of its PID namespace (a container's
	// entrypoint): every orphan of the namespace comes to it.
	PID1 bool
	// Namespaces: a new PID and mount namespace can be made (as root, or
	// through a user namespace). NoNamespaces says why not, and, in
	// parentheses, what would allow them.
	Namespaces   bool
	NoNamespaces string
	// Cgroup is the cgroup a contract made as root can have
	// (mechanism.CgroupV1, CgroupV2 or NoCgroup); NoCgroup says why none.
	Cgroup   string
	NoCgroup string
	// pidsCgroup is ctrun's own v1 pids cgroup directory, as Probe read
	// it ("": none), for WarmCgroups.
	pidsCgroup string
}

// capSysAdmin is CAP_SYS_ADMIN's bit in the capability masks.
const capSysAdmin = 1 << 21

// Probe finds out what the environment allows. On a bare host it only
// reads a few files; only where something refuses namespaces without
// saying so in a file (a seccomp filter: a container's profile) does it
// start one short process in new namespaces to see, once.
func Probe() Environment {
	e := Environment{Root: os.Geteuid() == 0, PID1: os.Getpid() == 1}
	status, _ := os.ReadFile("/proc/self/status")
	e.NoNamespaces = namespaceRefusal(e.Root, status)
	e.Namespaces = e.NoNamespaces == ""
	e.Cgroup, e.NoCgroup = mechanism.NoCgroup, ""
	if e.Root {
		e.Cgroup, e.NoCgroup, e.pidsCgroup = cgroupKind()
	}
	return e
}

// namespaceRefusal says why no new namespace can be made, "" when one can.
func namespaceRefusal(root bool, status []byte) string {
	if root {
		if caps, ok := procfs.Hex(status, "CapEff:"); ok && caps&capSysAdmin == 0 {
			return "root lacks CAP_SYS_ADMIN (a container's root has none by default; docker run --cap-add SYS_ADMIN gives it)"
		}
	} else if why := userNamespacesOff(); why != "" {
		return why
	}
	if filter, _ := procfs.Value(status, "Seccomp:"); filter != 2 {
		return ""
	}
	return tryNamespaces(root)
}

// userNamespacesOff says why the system refuses unprivileged user
// namespaces, as its settings tell, "" when none does.
func userNamespacesOff() string {
	setting := func(name string) string {
		b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(name, ".", "/"))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	switch {
	case setting("user.max_user_namespaces") == "0":
		return "user namespaces are disabled (user.max_user_namespaces is 0; sysctl user.max_user_namespaces=15000 allows them)"
	case setting("kernel.unprivileged_userns_clone") == "0":
		return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone is 0; sysctl kernel.unprivileged_userns_clone=1 allows them)"
	case setting("kernel.apparmor_restrict_unprivileged_userns") == "1" && unconfined():
		return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns is 1, as on Ubuntu 24.04; " +
			"an AppArmor profile for ctrun that allows userns, or sysctl kernel.apparmor_restrict_unprivileged_userns=0, lifts it)"
	}
	return ""
}

// unconfined: ctrun runs under no AppArmor profile (one could grant it
// user namespaces).
func unconfined() bool {
	b, err := os.ReadFile("/proc/self/attr/current")
	return err != nil || strings.HasPrefix(strings.TrimSpace(string(b)), "unconfined")
}

// tryNamespaces starts this binary in new PID and mount namespaces (and a
// user namespace when not root) and says why that was refused, "" when it
// was not. The binary's init exits at once when started as a probe.
func tryNamespaces(root bool) string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	sys := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS}
	if !root {
		sys.Cloneflags |= syscall.CLONE_NEWUSER
		sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	p, err := os.StartProcess(self, []string{self, wire.InitArg, wire.InitProbeArg}, &os.ProcAttr{Dir: "/", Sys: sys})
	if err != nil {
		return refusal(err)
	}
	_, _ = p.Wait()
	return ""
}

// refusal says in a user's words why making namespaces failed with err.
func refusal(err error) string {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOSYS):
		return "a seccomp filter refuses namespaces (Docker's default profile does without CAP_SYS_ADMIN; " +
			"a profile that allows unshare and clone with namespace flags lifts it)"
	case errors.Is(err, unix.ENOSPC):
		return "the limit of namespaces is reached (raise user.max_user_namespaces or user.max_pid_namespaces with sysctl)"
	}
	return fmt.Sprintf("making namespaces failed: %v", err)
}
