// Package runtime makes and ends contract instances: one libcontainer
// container per contract, with our own init (runtime/cinit) as its PID 1
// and the command as that init's child; or, where the environment allows
// no new PID namespace (Probe, Select), the same init as a child
// subreaper of ctrun's (subreaper.go).
//
// libcontainer does the parts that earn their cost: the namespaces, the
// mounts that show the host's root, the cgroup, the user-namespace mapping.
// The init does the rest: it starts the command when the holder says go,
// reaps, passes on signals, and keeps an orphaned contract alive (or kills
// it) when the holder dies. Events about members do not come from here:
// see package events.
//
// A holder holds every contract through one interface, Instance, whatever
// made it: a Maker makes a new one (Create, for libcontainer's), Adopt
// takes over an orphaned one. Like
// runc's parentProcess, the kinds differ in how the init is started,
// waited for and cleaned up after; the holder never asks which it has.
package runtime

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// Instance is one contract instance, as its holder sees it.
type Instance interface {
	// InitPid is the host pid of the contract's init (as the caller's
	// /proc numbers it): the contract id, for a holder on the host.
	InitPid() int
	// Start lets the command run in contract s.ID. For an adopted
	// instance, whose command runs already, there is nothing to do.
	Start(s Start) error

	// ControlFD is the holder's end of the control socket, for polling.
	ControlFD() int
	// Recv reads one message of the init, and the pid its credentials
	// name (0: none); without block it returns unix.EAGAIN when none is
	// waiting, ErrInitGone once the init's end is closed.
	Recv(block bool, buf []byte) (m wire.Message, credPid int, err error)
	// Send sends the init a message.
	Send(m wire.Message) error
	// Signal asks the init to send sig to a scope (wire.Scope*).
	Signal(sig unix.Signal, scope, target int) error

	// Kill ends the whole contract at once.
	Kill() error
	// Wait waits for the init to exit.
	Wait() error
	// Abandon lets go of the contract without ending it; true means the
	// init ended meanwhile and left the cleanup to the caller (see
	// control.abandon).
	Abandon() (ended bool)
	// Destroy removes what the instance made on the host. The contract
	// must be over (Wait returned) or never started.
	Destroy()
	// Emptied says whether nothing of the contract runs any more but its
	// init, which may still be on its way out: what held a member's
	// files, memory or ports is gone. False when it cannot be told.
	Emptied() bool

	// PidNamespace identifies the contract's PID namespace (device and
	// inode of its nsfs file).
	PidNamespace() (dev, ino uint64, err error)
	// CgroupPaths are the contract's cgroup directories, by controller
	// (none when it has no cgroup).
	CgroupPaths() map[string]string
	// Claim names the holder's claim on what was made for the instance
	// (registry.Claim; "" for none), which the record keeps so that an
	// adopter can release it.
	Claim() string
}

// Start is what the holder settles once a contract instance is made.
type Start struct {
	// ID is the contract id, given to the command as CTRUN_CTID.
	ID int
	// Record is the contract's registry record, removed by an orphaned
	// init when the contract ends; Endpoint is where the init listens.
	Record, Endpoint string
	// Notify: the init learns of the signals members send through
	// seccomp (when no tracer can: unprivileged).
	Notify bool
	// Report: the init reports members' forks and exits itself (there is
	// no process connector to learn them from).
	Report bool
}

// ExtraFile is a descriptor handed to the command at a given number.
type ExtraFile struct {
	File   *os.File
	Target int
}

// Options describe one contract instance to make.
type Options struct {
	// Name is unique among the caller's live instances; it names the
	// rootfs directory and the cgroup ("ctrun-<Name>").
	Name string
	// Path is the command's executable (already resolved), Argv its
	// arguments, Env its environment (without CTRUN_CTID), Dir its
	// working directory.
	Path string
	Argv []string
	Env  []string
	Dir  string
	// Stdio are the command's stdin, stdout and stderr; nil means closed.
	Stdio [3]*os.File
	Extra []ExtraFile
	// TTY: Stdio[0] is a terminal that becomes the command's controlling
	// terminal (the command is then a session leader).
	TTY            bool
	NoOrphan       bool
	SigIgn, SigBlk uint64
	// Cgroup: give the contract a cgroup below the caller's own.
	Cgroup bool
	// Ahead: the instance is made ahead of its run (a restart's next
	// one), to wait for Start for a while; its init removes what only
	// its start needed (the rootfs directory) while it waits, not beside
	// the command's start.
	Ahead bool
}
