package events

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events/connector"
	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/terms"
)

// Member is one process of a contract, as the holder knows it.
type Member struct {
	Pid   int // host pid (thread-group id)
	NSPid int // pid inside the contract
	Pgid  int // host process group
	// NSPgid is the process group inside the contract (0: a group that
	// has no id there, which no member may be killed through).
	NSPgid int
	Comm   string
	// Parent is the host pid of the parent it was forked by.
	Parent int
	// Start is when it joined (CLOCK_MONOTONIC ns, the connector's clock).
	Start uint64
	// threads are its live threads other than the leader; leaderGone
	// means the leader exited while some of them ran on.
	threads    map[int]bool
	leaderGone bool
}

// Traced is what a signal tracer (events/sigtrace, root only) saw of the
// generation of a signal.
type Traced struct {
	Kernel     bool
	Code       int32
	SenderTgid int
	InContract bool
	When       uint64 // CLOCK_MONOTONIC ns
}

// Tracer looks up how the last signal sig to process tgid was generated.
type Tracer interface {
	Lookup(tgid, sig int) (Traced, bool)
	// Name is the name host tgid took at its last exec, if recorded.
	Name(tgid int) (string, bool)
}

// Observer follows one contract: who its members are, and which events
// each fork and death is. It is fed by the holder's loop and is not safe
// for concurrent use.
type Observer struct {
	Contract int
	// CommandName names the command's process before it has executed.
	CommandName string
	// Detail: find every member's namespace pid and process group too
	// (-V, pgrponly); otherwise, with a tracer, only names are read, from
	// the cheapest file /proc has.
	Detail  bool
	init    int
	holder  int
	members map[int]*Member
	tracer  Tracer
	sent    sentLog
	// forwarded records when the holder last had the init send each
	// signal (a user's stop).
	forwarded map[unix.Signal]uint64
	// killing: the holder is killing members; their deaths are its doing.
	killing bool
	// the /proc read (a test may point it elsewhere; see fs)
	proc string
	// counters read at each death that needs them
	oomKills  int64
	hwCorrupt int64
	cgroupMem string
	emptied   bool
	// seenLate: see SeenLate.
	seenLate bool
	// nsField is the field of a status file's NSpid and NSpgid lines
	// that holds the contract's pid: 1, the one below the holder's own
	// namespace; 0 when it shares the holder's (SharedNamespace).
	nsField int
	seq     *int64
	// command is the host pid of the command's own process (the init's
	// first child).
	command int
	// killedGroups are process groups the holder killed (pgrponly).
	killedGroups map[int]bool
	// initDied: the init is gone, and with it every member.
	initDied bool
	// scratch is reused for every /proc read of a member: they run for
	// every process the contract starts, and allocate nothing once it has
	// grown to fit.
	scratch procfs.Scratch
	// nsIno is the contract's PID namespace (0: not checked).
	nsIno uint64
	// subs are the first processes (inits) of sub-contracts made inside,
	// by host pid, while they live.
	subs map[int]bool
	// typed records when each signal was last typed at the terminal.
	typed map[unix.Signal]uint64
	// external records, per signal, when the init last sent it to every
	// member for a process outside (ctkill -a) and who that was.
	external map[unix.Signal]externalSend
}

type externalSend struct {
	when      uint64
	requester int
}

// NewObserver follows contract id, whose init has host pid init. tracer is
// nil when unprivileged (the init's Sent records stand in). seq numbers
// events across the holder's contracts.
func NewObserver(id, init int, tracer Tracer, memCgroup string, seq *int64) *Observer {
	o := &Observer{
		Contract:  id,
		init:      init,
		holder:    os.Getpid(),
		members:   map[int]*Member{},
		nsField:   1,
		tracer:    tracer,
		sent:      newSentLog(),
		forwarded: map[unix.Signal]uint64{},
		proc:      string(procfs.Default),
		cgroupMem: memCgroup,
		seq:       seq,
	}
	o.oomKills = o.readOOMKills()
	o.hwCorrupt = o.readMeminfo("HardwareCorrupted:")
	return o
}

// fs is the /proc the observer reads.
func (o *Observer) fs() procfs.FS { return procfs.FS(o.proc) }

// SetNamespace names the contract's PID namespace (nsfs inode): a process
// forked into another one (a sub-contract made by a ctrun inside) is not a
// member, and neither is anything it starts.
func (o *Observer) SetNamespace(ino uint64) { o.nsIno = ino }

// NoProc stops the observer from reading /proc: a holder in a PID
// namespace below the host's has no /proc for the host pids the connector
// reports. Members then go without names and namespace pids.
func (o *Observer) NoProc() { o.proc = noProc }

// noProc is where an observer that may not read /proc reads it.
const noProc = "/nonexistent"

// SharedNamespace tells the observer that the contract has no PID
// namespace of its own (it is its init's descendants): its members' pids
// and process groups inside it are those the holder sees.
func (o *Observer) SharedNamespace() { o.nsField = 0 }

// SeenLate tells the observer that members may be seen only after others
// have gone (their forks are reported late: see holder's initSource): its
// count of members reaching zero does not make the contract empty, only
// the init's exit does.
func (o *Observer) SeenLate() { o.seenLate = true }

// EmptyEvent is the contract's empty event, when something else than the
// observer knows the contract is empty (the init, for a holder that cannot
// tell members from sub-contracts), if the observer has not made one.
func (o *Observer) EmptyEvent() (Event, bool) {
	if o.emptied {
		return Event{}, false
	}
	o.emptied = true
	return o.event(terms.Empty, nil), true
}

// Subcontracts is the number of live sub-contracts made inside.
func (o *Observer) Subcontracts() int { return len(o.subs) }

// Members is the number of live members.
func (o *Observer) Members() int { return len(o.members) }

// Pids lists the host pids of the live members.
func (o *Observer) Pids() []int {
	out := make([]int, 0, len(o.members))
	for pid := range o.members {
		out = append(out, pid)
	}
	return out
}

// Member returns what is known of member pid.
func (o *Observer) Member(pid int) (*Member, bool) {
	m, ok := o.members[pid]
	return m, ok
}

// Killing tells the observer that the holder is killing members now.
func (o *Observer) Killing() { o.killing = true }

// KillingGroup tells the observer that the holder is killing the members
// of process group pgid (host pgid).
func (o *Observer) KillingGroup(pgid int) {
	if o.killedGroups == nil {
		o.killedGroups = map[int]bool{}
	}
	o.killedGroups[pgid] = true
}

// Adopt follows processes that were members before the observer started
// (an adopted contract); commandNSPid names the command's process, if it
// still runs.
func (o *Observer) Adopt(pids []int, commandNSPid int) {
	for _, pid := range pids {
		m := &Member{Pid: pid}
		o.refresh(m)
		o.members[pid] = m
		if commandNSPid > 0 && m.NSPid == commandNSPid {
			o.command = pid
		}
	}
}

// IsCommand says whether pid is the command's own process.
func (o *Observer) IsCommand(pid int) bool { return pid != 0 && pid == o.command }

// External tells the observer that the init is sending sig to every member
// on behalf of process requester, outside the contract (ctkill -a); when
// is the CLOCK_MONOTONIC time (ns) it did (0: now).
func (o *Observer) External(sig unix.Signal, requester int, when uint64) {
	if o.external == nil {
		o.external = map[unix.Signal]externalSend{}
	}
	if when == 0 {
		when = monotonic()
	}
	o.external[sig] = externalSend{when: when, requester: requester}
}

// Forwarded tells the observer that the holder had sig sent to members.
func (o *Observer) Forwarded(sig unix.Signal) { o.forwarded[sig] = monotonic() }

// Typed tells the observer that sig was typed at the holder's terminal
// (^C, ^\): the pseudo-terminal sends it to its foreground group, a
// user's act and never a signal from outside.
func (o *Observer) Typed(sig unix.Signal) {
	if o.typed == nil {
		o.typed = map[unix.Signal]uint64{}
	}
	o.typed[sig] = monotonic()
}

// Command is the host pid of the command's own process (0: not known yet).
func (o *Observer) Command() int { return o.command }

// wasForwarded says whether the holder had the init pass sig on since
// start (a member's birth).
func (o *Observer) wasForwarded(sig unix.Signal, start uint64) bool {
	at, ok := o.forwarded[sig]
	return ok && at >= start
}

// SentSignal is a signal a member sent, as the contract's init reported
// it (unprivileged contracts; see runtime/cinit/notify.c, ct_handle_notification).
type SentSignal struct {
	Sig unix.Signal
	// Sender and Targets are namespace pids; All: every process the
	// sender could reach.
	Sender  int
	Targets []int32
	All     bool
	// Code is the si_code the sender supplied, if HasCode.
	Code    int32
	HasCode bool
	// When is the CLOCK_MONOTONIC time (ns) the init let the call go on,
	// before the signal could act (0: now).
	When uint64
}

// Sent records a signal a member sent.
func (o *Observer) Sent(s SentSignal) {
	now := monotonic()
	when := s.When
	if when == 0 {
		when = now
	}
	o.sent.add(sentRecord{sig: s.Sig, sender: s.Sender, code: s.Code, hasCode: s.HasCode, when: when}, s.Targets, s.All)
	if o.sent.due() {
		known := make(map[int]bool, len(o.members))
		for _, m := range o.members {
			known[m.NSPid] = true
		}
		o.sent.prune(now, known)
	}
}

// subcontractInit says whether process pid, which takes the name comm, is
// a sub-contract's init (see Proc): libcontainer's stage "runc:[2:INIT]"
// of "<binary> init", then ours, "<binary> contract-init". Where /proc can
// be read, the arguments must match too: any member can take the name.
func (o *Observer) subcontractInit(pid int, comm string) bool {
	var arg string
	switch comm {
	case "runc:[2:INIT]":
		arg = "init"
	case wire.InitName:
		arg = wire.InitArg
	default:
		return false
	}
	return o.proc == noProc || o.fs().Arg(pid, 1) == arg
}

// Proc takes one process event and returns the contract events it makes.
func (o *Observer) Proc(ev connector.Event) []Event {
	switch ev.What {
	case connector.Fork:
		return o.fork(ev)
	case connector.Exec:
		if m, ok := o.members[ev.Tgid]; ok {
			// An exec ends every other thread; the execing one now
			// has the leader's pid.
			m.threads = nil
			m.leaderGone = false
			if o.tracer == nil || o.Detail {
				o.refresh(m)
			}
			if o.tracer != nil {
				// The tracer kept the name the exec gave, also for a
				// member that is gone by now (/proc has it no more).
				if name, ok := o.tracer.Name(m.Pid); ok {
					m.Comm = name
				} else if !o.Detail {
					o.refreshComm(m)
				}
			}
		}
	case connector.Comm:
		// A holder that cannot look at namespaces (inside a contract, see
		// NoProc) tells a sub-contract's init by the names it gives
		// itself: libcontainer's stage "runc:[2:INIT]", then ours. From
		// then on it, and all it starts, is the sub-contract's.
		if o.nsIno == 0 && ev.Pid == ev.Tgid && o.subcontractInit(ev.Tgid, ev.Comm) {
			if _, ok := o.members[ev.Tgid]; ok {
				delete(o.members, ev.Tgid)
				if o.subs == nil {
					o.subs = map[int]bool{}
				}
				o.subs[ev.Tgid] = true
			}
		}
	case connector.SID:
		// setsid: the member now leads a process group of its own (a
		// fork copied its parent's; pgrponly must not kill that one).
		if m, ok := o.members[ev.Tgid]; ok {
			m.Pgid = m.Pid
			if m.NSPid != 0 {
				m.NSPgid = m.NSPid
			} else {
				o.refresh(m)
			}
		}
	case connector.Exit:
		return o.exit(ev)
	}
	return nil
}

func (o *Observer) fork(ev connector.Event) []Event {
	if ev.Pid != ev.Tgid {
		// A new thread of a member.
		if m, ok := o.members[ev.Tgid]; ok {
			if m.threads == nil {
				m.threads = map[int]bool{}
			}
			m.threads[ev.Pid] = true
		}
		return nil
	}
	if ev.ParentTgid != o.init {
		if _, ok := o.members[ev.ParentTgid]; !ok {
			return nil
		}
	}
	if o.nsIno != 0 && !o.inNamespace(ev.Tgid) {
		// The first process of a sub-contract: not a member, nor is
		// anything it starts.
		if o.subs == nil {
			o.subs = map[int]bool{}
		}
		o.subs[ev.Tgid] = true
		return nil
	}
	m := &Member{Pid: ev.Tgid, Parent: ev.ParentTgid, Start: ev.Timestamp}
	o.members[m.Pid] = m
	if o.command == 0 && ev.ParentTgid == o.init {
		o.command = m.Pid
	}
	o.emptied = false
	p, ok := o.members[ev.ParentTgid]
	if ok {
		// A fork is its parent's copy: the same name and group. With a
		// tracer, /proc is read once, at exec.
		m.Comm, m.Pgid, m.NSPgid = p.Comm, p.Pgid, p.NSPgid
	}
	if !ok || o.tracer == nil {
		// Only the namespace pid is new, needed at once where the
		// init's Sent records stand in for a tracer (they name
		// namespace pids). A member that is gone already (a holder
		// reading a batch late) keeps what it had from its parent.
		o.refresh(m)
	}
	if m.Pid == o.command && o.CommandName != "" {
		// Forked by the init and not yet executed: it is the command.
		m.Comm = o.CommandName
	}
	return []Event{o.event(terms.Fork, m)}
}

// refreshComm reads only the member's name (after an exec).
func (o *Observer) refreshComm(m *Member) {
	if o.proc == noProc {
		return // nothing to read: spare the failing open on every exec
	}
	b, _ := o.fs().Read(m.Pid, "comm", &o.scratch)
	b = bytes.TrimRight(b, "\n")
	if len(b) > 0 && string(b) != m.Comm {
		m.Comm = string(b)
	}
}

// refresh reads the member's name, namespace pid and process group.
func (o *Observer) refresh(m *Member) {
	if o.proc == noProc {
		return // nothing to read: spare the failing open on every fork
	}
	st, err := o.fs().Status(m.Pid, &o.scratch)
	if err != nil {
		return
	}
	if st.Name != nil {
		name := bytes.TrimSpace(st.Name)
		if string(name) != m.Comm { // no allocation when unchanged
			m.Comm = string(name)
		}
	}
	// host pid, then one pid per nested namespace: the contract's is the
	// one below the holder's own, the second field here (the first, for
	// a contract that shares the holder's: see SharedNamespace).
	if v, ok := st.NSPid.At(o.nsField); ok {
		m.NSPid = v
	}
	if st.NSPgid != nil {
		if v, ok := st.NSPgid.At(0); ok {
			m.Pgid = v
		}
		m.NSPgid, _ = st.NSPgid.At(o.nsField)
	}
}

// inNamespace says whether process pid runs in the contract's PID
// namespace. A process gone already is taken to be a member: a sub-contract
// does not end that fast.
func (o *Observer) inNamespace(pid int) bool {
	ino, err := o.fs().PidNamespace(pid)
	return err != nil || ino == o.nsIno
}

func (o *Observer) exit(ev connector.Event) []Event {
	if ev.Tgid == o.init && ev.Pid == ev.Tgid {
		// The init is gone: whatever was left went with it.
		return o.initGone()
	}
	m, ok := o.members[ev.Tgid]
	if !ok {
		if ev.Pid == ev.Tgid {
			delete(o.subs, ev.Tgid)
		}
		return nil
	}
	if ev.Pid != ev.Tgid {
		delete(m.threads, ev.Pid)
		if !m.leaderGone || len(m.threads) > 0 {
			return nil
		}
	} else if len(m.threads) > 0 {
		m.leaderGone = true
		return nil
	}
	return o.end(m, unix.WaitStatus(ev.ExitCode))
}

// end reports a member's death and, if it was the last, the contract's
// emptiness.
func (o *Observer) end(m *Member, status unix.WaitStatus) []Event {
	delete(o.members, m.Pid)
	d := Death{Status: status}
	if status.Signaled() && m.NSPid == 0 && o.tracer == nil {
		// Not read at fork (it ended first): perhaps still a zombie.
		o.refresh(m)
	}
	if status.Signaled() {
		d.Sender, d.Code, d.HasCode = o.sender(m, status.Signal())
		if status.Signal() == unix.SIGBUS && !d.HasCode {
			now := o.readMeminfo("HardwareCorrupted:")
			d.HWCorrupted = now > o.hwCorrupt
			o.hwCorrupt = now
		}
	}
	o.sent.forget(m.NSPid)
	var out []Event
	for _, k := range Classify(d) {
		e := o.event(k, m)
		e.Status = status
		if status.Signaled() {
			e.Sig = status.Signal()
			e.Code = d.Code
			e.Sender = d.Sender
		}
		out = append(out, e)
	}
	if len(o.members) == 0 && !o.emptied && !o.seenLate {
		o.emptied = true
		out = append(out, o.event(terms.Empty, nil))
	}
	return out
}

func (o *Observer) initGone() []Event {
	o.initDied = true
	var out []Event
	for _, m := range o.members {
		// Lost events: the member died with the contract, killed by the
		// kernel when its init went.
		out = append(out, o.end(m, unix.WaitStatus(unix.SIGKILL))...)
	}
	if !o.emptied {
		o.emptied = true
		out = append(out, o.event(terms.Empty, nil))
	}
	return out
}

func (o *Observer) event(k terms.Event, m *Member) Event {
	*o.seq++
	e := Event{Kind: k, Seq: *o.seq, Contract: o.Contract, Time: time.Now()}
	if m != nil {
		e.Pid, e.NSPid, e.Pgid, e.NSPgid, e.Comm, e.Parent = m.Pid, m.NSPid, m.Pgid, m.NSPgid, m.Comm, m.Parent
	}
	return e
}

// sender works out who sent the signal that killed m.
func (o *Observer) sender(m *Member, sig unix.Signal) (Sender, int32, bool) {
	if o.killing || (sig == unix.SIGKILL && o.killedGroups[m.Pgid]) {
		return Sender{Kind: SenderHolder}, 0, false
	}
	if x, ok := o.external[sig]; ok && x.when >= m.Start {
		// Sent by the init, asked by a process outside.
		return Sender{Kind: SenderOutside, Pid: x.requester, Comm: o.comm(x.requester)}, 0, false
	}
	if o.tracer != nil {
		if t, ok := o.tracer.Lookup(m.Pid, int(sig)); ok && t.When >= m.Start {
			switch {
			case t.Kernel:
				if sig == unix.SIGKILL && o.oomKilled() {
					return Sender{Kind: SenderOOM}, t.Code, true
				}
				return Sender{Kind: SenderKernel}, t.Code, true
			case t.SenderTgid == o.holder:
				return Sender{Kind: SenderHolder}, t.Code, true
			case t.SenderTgid == o.init && o.wasForwarded(sig, m.Start):
				// The init passed on a stop the holder was sent.
				return Sender{Kind: SenderHolder}, t.Code, true
			case t.InContract || t.SenderTgid == o.init:
				return Sender{Kind: SenderMember, Pid: t.SenderTgid}, t.Code, true
			}
			if _, member := o.members[t.SenderTgid]; member {
				return Sender{Kind: SenderMember, Pid: t.SenderTgid}, t.Code, true
			}
			return Sender{Kind: SenderOutside, Pid: t.SenderTgid, Comm: o.comm(t.SenderTgid)}, t.Code, true
		}
	}
	if o.wasForwarded(sig, m.Start) {
		return Sender{Kind: SenderHolder}, 0, false
	}
	if at, ok := o.typed[sig]; ok && at >= m.Start {
		return Sender{Kind: SenderKernel, Note: "typed at the terminal"}, 0, false
	}
	if o.tracer != nil {
		return Sender{Kind: SenderUnknown}, 0, false
	}
	if r, ok := o.sent.match(m.NSPid, sig, m.Start, o.knownNSPid); ok {
		return Sender{Kind: SenderMember, NSPid: r.sender}, r.code, r.hasCode
	}
	if sig == unix.SIGKILL && o.oomKilled() {
		return Sender{Kind: SenderOOM}, 0, false
	}
	if sig == unix.SIGKILL && (o.initDied || o.initExiting()) {
		// The kernel kills every process of a PID namespace whose init
		// dies.
		return Sender{Kind: SenderKernel, Note: "the contract's init died"}, 0, false
	}
	if kernelSignals[sig] {
		return Sender{Kind: SenderKernel, Note: "no member sent it"}, 0, false
	}
	return Sender{Kind: SenderInferred}, 0, false
}

// initExiting says whether the contract's init is on its way out (PF_EXITING
// in its flags, or gone), so that a member's SIGKILL is the kernel tearing
// the namespace down.
func (o *Observer) initExiting() bool {
	st, err := o.fs().Stat(o.init)
	if err != nil {
		// Gone, or a stat line that could not be read.
		return !errors.Is(err, procfs.ErrFormat)
	}
	return st.State.Exited() || st.Flags&procfs.PFExiting != 0
}

// knownNSPid says whether a live member has namespace pid nspid.
func (o *Observer) knownNSPid(nspid int) bool {
	for _, m := range o.members {
		if m.NSPid == nspid {
			return true
		}
	}
	return false
}

// oomKilled says whether the OOM killer struck since the last look: in the
// contract's memory cgroup when it has one, else anywhere on the machine.
func (o *Observer) oomKilled() bool {
	now := o.readOOMKills()
	hit := now > o.oomKills
	o.oomKills = now
	return hit
}

func (o *Observer) readOOMKills() int64 {
	if o.cgroupMem != "" {
		if b, err := os.ReadFile(o.cgroupMem + "/memory.oom_control"); err == nil {
			if v, ok := procfs.Value(b, "oom_kill "); ok {
				return v
			}
		}
	}
	v, _ := o.fs().Value("vmstat", "oom_kill ")
	return v
}

func (o *Observer) readMeminfo(key string) int64 {
	v, _ := o.fs().Value("meminfo", key)
	return v
}

// comm names process pid, for a sender outside the contract ("" when it
// is gone).
func (o *Observer) comm(pid int) string {
	c, _ := o.fs().Comm(pid)
	return strings.TrimSpace(c)
}

func monotonic() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}
