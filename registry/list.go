package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
	"github.com/ctrun/ctrun/stream"
)

// StateEnv names, in a contract init's environment, the state directory
// that holds the contract's record: root finds every user's contracts
// through their inits.
const StateEnv = "CTRUN_STATE"

// InitName is the name (comm) of every contract's init.
const InitName = wire.InitName

// State is what a contract is to its holder.
type State string

const (
	Owned     State = "owned"     // its holder runs
	Inherited State = "inherited" // held by a regent contract (sub-contracts)
	Orphaned  State = "orphaned"  // held by no one
	Dead      State = "dead"      // its init is gone: the record is being collected
)

// Entry is a contract as found in the registry.
type Entry struct {
	Record
	State State
	// Dir is the registry directory the record is in.
	Dir Dir
	// PidNSIno is the inode of a live contract's PID namespace, as its
	// init was checked (0: not known).
	PidNSIno uint64
	// Seen are the pids of its init and holder as the caller sees them.
	Seen Seen
	// Inside: the record's pids are host pids the caller cannot see (it
	// runs inside a contract); Seen was found by a view.
	Inside bool
}

// Seen are a contract's processes as the caller sees them: on the host,
// the record's host pids; inside a contract, the pids there of those in
// view, 0 for one outside it (the holder of the caller's own contract).
type Seen struct {
	Init, Holder int
}

// InitPid is the pid of the contract's init as the caller sees it: what
// to look for in /proc (the contract id is its host pid).
func (e *Entry) InitPid() int { return e.Seen.Init }

// HolderPid is the pid of the contract's holder as the caller sees it, 0
// when it runs outside the caller's view (what SO_PEERCRED then says of
// it: stream.Dial).
func (e *Entry) HolderPid() int { return e.Seen.Holder }

// EndpointPath is the contract's endpoint (see runtime/cinit/wire/protocol.h).
func (d Dir) EndpointPath(id int) string {
	return filepath.Join(string(d), strconv.Itoa(id)+wire.SockSuffix)
}

// ErrNoContract means no live contract has that id (for the caller).
var ErrNoContract = errors.New("no such contract")

// Read reads record id from d, refusing anything but a regular file owned
// by the directory's owner (a symlink or someone else's file put there is
// never followed), and a record that does not parse.
func (d Dir) Read(id int) (*Record, error) {
	path := d.Path(id)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			return nil, fmt.Errorf("record %s is a symlink: refusing it", path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st, dst unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("record %s: %w", path, err)
	}
	if err := unix.Lstat(string(d), &dst); err != nil {
		return nil, fmt.Errorf("registry %s: %w", d, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("record %s is not a regular file: refusing it", path)
	}
	if st.Uid != dst.Uid {
		return nil, fmt.Errorf("record %s belongs to uid %d, not to the directory's owner: refusing it", path, st.Uid)
	}
	if st.Size > maxRecord {
		return nil, fmt.Errorf("record %s is damaged: %d bytes", path, st.Size)
	}
	b := make([]byte, st.Size)
	for n := 0; n < len(b); {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", path, err)
		}
		if m == 0 {
			b = b[:n] // shortened meanwhile: the JSON says whether it is whole
			break
		}
		n += m
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("record %s is damaged: %v", path, err)
	}
	if r.ID != id || r.Init.Pid != id {
		return nil, fmt.Errorf("record %s is damaged: it names contract %d", path, r.ID)
	}
	return &r, nil
}

// maxRecord bounds what Read takes in: a record is about a kilobyte.
const maxRecord = 1 << 20

// stateOf works out an entry's state from the process table: the record
// never has the last word on whether a contract lives. A contract without
// a holder is inherited (not orphaned) when it was made with the option
// inherit from inside a contract that is a regent and is still alive;
// parent looks that contract up.
func stateOf(e *Entry, parent func(id int) *Entry) State {
	switch {
	case !e.initAlive():
		return Dead
	case e.holderAlive():
		return Owned
	}
	if e.Parent != 0 && has(e.Terms.Options, "inherit") && parent != nil {
		if p := parent(e.Parent); p != nil && has(p.Terms.Options, "regent") && p.initAlive() {
			return Inherited
		}
	}
	return Orphaned
}

// initAlive: inside a contract, an entry is only made of a record whose
// init the view found alive.
func (e *Entry) initAlive() bool { return e.Inside || e.Init.Alive() }

// holderAlive: inside a contract, a holder in view was found alive; one
// outside it (the holder of the caller's own contract) cannot be looked
// at, so the init, which keeps its holder's control socket, is asked.
func (e *Entry) holderAlive() bool {
	if !e.Inside {
		return e.Holder.Alive()
	}
	if e.Seen.Holder != 0 {
		return true
	}
	held, err := e.Dir.held(e.ID, e.Seen.Init)
	return err == nil && held
}

func has(list []string, name string) bool {
	for _, n := range list {
		if n == name {
			return true
		}
	}
	return false
}

// Dirs lists the registry directories to look in: own (StateDir), the
// other places the caller's contracts may be recorded (ReadDirs) that are
// the caller's own directories, and every directory a running contract
// init names (StateEnv) that belongs to the user the init runs as: for
// root, every user's; for anyone else, only their own, which finds the
// contracts an earlier version made under an XDG_RUNTIME_DIR the shell at
// hand does not name.
func Dirs(own string) []Dir {
	euid := os.Geteuid()
	dirs := []Dir{Dir(own)}
	seen := map[string]bool{own: true}
	add := func(d string, uid int) {
		d = filepath.Clean(d)
		if filepath.IsAbs(d) && !seen[d] && ownedBy(d, uid) {
			seen[d] = true
			dirs = append(dirs, Dir(d))
		}
	}
	for _, d := range ReadDirs() {
		add(d, euid)
	}
	for _, pid := range Inits() {
		uid, err := procfs.Default.Owner(pid)
		if err != nil || (euid != 0 && uid != euid) {
			continue // gone, or another user's: not the caller's to see
		}
		if v, ok := procfs.Default.Env(pid, StateEnv); ok {
			add(v, uid)
		}
	}
	return dirs
}

// ownedBy: dir is a real directory (no symlink) of uid. Anyone can name a
// process ctrun-init and set its environment; root only looks where the
// user that process runs as could have made a record.
func ownedBy(dir string, uid int) bool {
	var st unix.Stat_t
	return unix.Lstat(dir, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR && int(st.Uid) == uid
}

// Inits lists the host pids of running contract inits (those the caller
// can see), in order. An init is PID 1 of a namespace of its own, so only
// processes outside the caller's PID namespace have their names read.
func Inits() []int {
	var out []int
	pids, _ := procfs.Default.Pids()
	own := OwnPidNS()
	for _, pid := range pids {
		if own != 0 {
			if ns, err := procfs.Default.PidNamespace(pid); err == nil && ns == own {
				continue
			}
		}
		if comm, err := procfs.Default.Comm(pid); err == nil && strings.TrimSpace(comm) == InitName {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

// ListOptions choose what List returns.
type ListOptions struct {
	// IDs restricts the list (empty: all).
	IDs []int
	// Collect removes the records of dead contracts (and what they left:
	// endpoint, cgroup directories) that the caller may remove.
	Collect bool
}

// List returns the contracts in the given directories, by id. Problems
// with single records (damaged, hostile) are returned beside the list.
// A contract still starting (its init not yet named as one) is left out.
func List(dirs []Dir, o ListOptions) ([]Entry, []error) {
	out, errs, _ := list(dirs, o)
	return out, errs
}

// list is List, and the ids of the contracts left out as starting.
func list(dirs []Dir, o ListOptions) ([]Entry, []error, []int) {
	want := map[int]bool{}
	for _, id := range o.IDs {
		want[id] = true
	}
	ownNS := OwnPidNS()
	var v *view // made when a record needs it
	var out []Entry
	var errs []error
	seen := map[int]bool{}
	for _, d := range dirs {
		des, err := os.ReadDir(string(d))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		for _, de := range des {
			name, ok := strings.CutSuffix(de.Name(), ".json")
			if !ok {
				continue
			}
			id, err := strconv.Atoi(name)
			if err != nil || id <= 0 || seen[id] {
				continue
			}
			r, err := d.Read(id)
			if err != nil {
				// A bad record is reported by those that ask for it (or
				// for all): ctkill 7 must not answer with record 9's
				// damage.
				if !errors.Is(err, os.ErrNotExist) && (len(want) == 0 || want[id]) {
					errs = append(errs, err)
				}
				continue
			}
			e := Entry{Record: *r, Dir: d, Seen: Seen{Init: r.ID, Holder: r.Holder.Pid}}
			if r.PidNS != 0 && ownNS != 0 && r.PidNS != ownNS && ownNS != HostPidNS() {
				// Written in another PID namespace: its pids mean
				// nothing here. On the host (a container's record) it
				// is left alone; inside a contract, only a contract in
				// view is listed, and never collected.
				if v == nil {
					v = newView(ownNS)
				}
				if !e.see(v) {
					continue
				}
			}
			seen[id] = true
			out = append(out, e)
		}
	}
	errs = append(errs, oneEach(&out)...)
	// States need the parents (inheritance), so all records are read
	// before any is judged; the list is cut to the ids asked for after.
	byID := map[int]*Entry{}
	for i := range out {
		if !out[i].Husk { // no parent to inherit by
			byID[out[i].ID] = &out[i]
		}
	}
	parent := func(id int) *Entry { return byID[id] }
	for i := range out {
		out[i].State = stateOf(&out[i], parent)
	}
	if o.Collect {
		collectDead(out)
	}
	owners := map[Dir]int{}
	var kept []Entry
	var starting []int
	for _, e := range out {
		if e.Husk || (len(want) > 0 && !want[e.ID]) {
			continue
		}
		if e.State != Dead {
			owner, ok := owners[e.Dir]
			if !ok {
				owner = e.Dir.Owner()
				owners[e.Dir] = owner
			}
			if err := e.verify(owner, ownNS); err != nil {
				if errors.Is(err, errStarting) {
					starting = append(starting, e.ID)
				} else {
					errs = append(errs, err)
				}
				continue
			}
		}
		kept = append(kept, e)
	}
	out = kept
	if o.Collect {
		for _, d := range dirs {
			d.collectHolderSockets()
			errs = append(errs, d.CollectRemains()...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errs, starting
}

// collectHolderSockets removes the event sockets of holders that are gone
// (killed: a holder that exits removes its own). Nobody answering on it is
// the proof.
func (d Dir) collectHolderSockets() {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return
	}
	for _, de := range des {
		if !stream.IsSocketName(de.Name()) {
			continue
		}
		p := filepath.Join(string(d), de.Name())
		if Stale(p) {
			_ = os.Remove(p)
		}
	}
}

// Stale says whether nobody listens on the unix socket at path.
func Stale(path string) bool {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	return errors.Is(err, unix.ECONNREFUSED)
}

// Sweep collects what dead contracts and killed holders left in dirs (as
// List with Collect does), for the commands that do not list: ctwatch,
// and ctrun as it starts. Inside a contract nothing is collected: the
// records' pids are not this namespace's.
func Sweep(dirs []Dir) []error {
	if InsideContract() {
		return nil
	}
	_, errs := List(dirs, ListOptions{Collect: true})
	return errs
}

// InheritedBy lists the contracts inherited by contract id (from es, a
// List of every contract).
func InheritedBy(es []Entry, id int) []int {
	var out []int
	for _, e := range es {
		if e.Parent == id && e.State == Inherited {
			out = append(out, e.ID)
		}
	}
	return out
}

// findWait bounds how long Find waits for a starting contract.
const findWait = time.Second

// collectDead collects the dead contracts among es, those whose cgroups
// lie deepest first: a sub-contract's cgroup is inside its parent's, which
// cannot go before it.
func collectDead(es []Entry) {
	var dead []*Entry
	for i := range es {
		if es[i].State == Dead {
			dead = append(dead, &es[i])
		}
	}
	depth := func(e *Entry) int {
		d := 0
		for _, p := range e.Cgroups {
			d = max(d, strings.Count(filepath.Clean(p), "/"))
		}
		return d
	}
	sort.SliceStable(dead, func(a, b int) bool { return depth(dead[a]) > depth(dead[b]) })
	for _, e := range dead {
		e.Dir.Collect(&e.Record)
	}
}

// Find returns the live contract id from the directories, or
// ErrNoContract.
func Find(dirs []Dir, id int) (*Entry, error) {
	es, errs, starting := list(dirs, ListOptions{IDs: []int{id}, Collect: true})
	// A contract named the moment it starts is there a few milliseconds
	// later: wait a little for its init to take its name.
	for deadline := time.Now().Add(findWait); len(starting) > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		es, errs, starting = list(dirs, ListOptions{IDs: []int{id}})
	}
	for _, e := range es {
		if e.ID == id && e.State != Dead {
			return &e, nil
		}
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("contract %d: %w", id, ErrNoContract)
}

// Collect removes what a dead contract left: its record, its endpoint and
// its (empty) cgroup directories. Only the record's own names are touched,
// and only below the cgroup file system.
func (d Dir) Collect(r *Record) {
	// A new contract may have taken the pid, and the record's name, since
	// r was read: only the record read is collected.
	if cur, err := d.Read(r.ID); err != nil || cur.Init != r.Init {
		return
	}
	// Only root's own contracts have cgroups; never act on a user's
	// record's names with root's rights.
	var st unix.Stat_t
	rootsDir := unix.Lstat(string(d), &st) == nil && st.Uid == 0
	for _, p := range r.Cgroups {
		if !rootsDir || os.Geteuid() != 0 {
			break
		}
		if strings.HasPrefix(filepath.Clean(p), "/sys/fs/cgroup/") && strings.HasPrefix(filepath.Base(p), "ctrun-") {
			_ = unix.Rmdir(p)
		}
	}
	// A new contract with the same id may be starting: its endpoint
	// answers, and is left alone.
	if ep := d.EndpointPath(r.ID); Stale(ep) {
		_ = os.Remove(ep)
	}
	_ = d.Remove(r.ID)
	_ = unix.Rmdir(string(d))
}

// Reparent hands the sub-contracts of contract from over to contract to
// (ctrun -t on a restart): those made with the option inherit, held or
// not, so that they are inherited by the new contract as they would have
// been by the old one. It returns their ids. Like Children, it does not
// judge whether they live (a holder inside a contract cannot). Root writes
// into a user's directory as that user (asOwner).
func Reparent(dirs []Dir, from, to int) ([]int, error) {
	var moved []int
	for _, d := range dirs {
		if _, err := os.Lstat(string(d)); err != nil {
			continue
		}
		err := d.asDirOwner(func() error {
			for _, r := range d.children(from) {
				if !has(r.Terms.Options, "inherit") {
					continue
				}
				// Read a while ago: a record removed since (its
				// contract ended) must not come back.
				if _, err := os.Lstat(d.Path(r.ID)); err != nil {
					continue
				}
				r.Parent = to
				if err := d.Write(r); err != nil {
					return err
				}
				moved = append(moved, r.ID)
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// Children lists the ids of the records naming parent as the contract
// they were made from, without judging whether they live: a holder inside a
// contract cannot (the records' pids are host pids), and a record that
// outlived its contract only costs a careful kill.
func Children(dirs []Dir, parent int) []int {
	var out []int
	for _, d := range dirs {
		for _, r := range d.children(parent) {
			out = append(out, r.ID)
		}
	}
	return out
}

// children reads the records in d naming parent, each once.
func (d Dir) children(parent int) []*Record {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return nil
	}
	var out []*Record
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(name)
		if err != nil || id <= 0 {
			continue
		}
		if r, err := d.Read(id); err == nil && r.Parent == parent {
			out = append(out, r)
		}
	}
	return out
}
