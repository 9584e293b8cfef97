// Package registry keeps one record per live contract, so that contracts
// are objects a user can list, watch, signal and take over.
//
// A record is a small JSON file named after the contract id in the owner's
// state directory (StateDir: /run/ctrun for root, /tmp/ctrun-<uid>
// otherwise, whatever the environment says). It never claims more than it can
// prove: whether the holder and the init are alive is checked against the
// process table (pid and start time) every time a record is read, so a
// record left by a crash reads as what it is.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// Process names a process beyond pid reuse: its start time (in clock
// ticks since boot, field 22 of /proc/PID/stat) must match too.
//
// NS and NSPid name it once more from inside a contract, where the host
// pid means nothing: its own, innermost PID namespace (nsfs inode) and its
// pid there (for a contract's init, its contract's namespace and 1). Only
// a process in the caller's namespace or below it can be found by them,
// and only what the caller's /proc shows is believed (see view).
type Process struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
	NS    uint64 `json:"ns,omitempty"`
	NSPid int    `json:"nspid,omitempty"`
}

// Terms are the contract's terms as recorded (names as on the command
// line).
type Terms struct {
	Informative []string `json:"informative"`
	Fatal       []string `json:"fatal"`
	Lifetime    string   `json:"lifetime"`
	Options     []string `json:"options"`
	Restart     bool     `json:"restart"`
	Restarts    int      `json:"restart_count"`
	Transfer    bool     `json:"transfer"`
}

// Record is what the registry knows of one contract.
type Record struct {
	ID      int      `json:"id"`
	Holder  Process  `json:"holder"`
	Init    Process  `json:"init"`
	Terms   Terms    `json:"terms"`
	FMRI    string   `json:"fmri,omitempty"`
	Aux     string   `json:"aux,omitempty"`
	UID     int      `json:"uid"`
	Argv    []string `json:"creator_argv"`
	Started string   `json:"started"`
	// Run counts the command's runs under this ctrun (1 for the first).
	Run     int               `json:"run"`
	Cgroups map[string]string `json:"cgroups,omitempty"`
	// Parent is the contract this one was created from (0: none): a
	// sub-contract, made by a ctrun run inside it. With the option inherit
	// and a regent parent, a sub-contract whose holder is gone is the
	// parent's (state inherited).
	Parent int `json:"parent,omitempty"`
	// Command is the command and its arguments.
	Command []string `json:"command"`
	// Watch is the holder's event socket (ctwatch), empty when none.
	Watch string `json:"watch,omitempty"`
	// PidNS is the PID namespace (nsfs inode) the pids of this record are
	// numbers in: a record written from inside a contract is judged only
	// from that namespace.
	PidNS uint64 `json:"pidns"`
	// Held is how the contract is held (nil: a PID namespace of its own,
	// as every contract was before others could be had).
	Held *mechanism.Mechanism `json:"held,omitempty"`
	// Husk: the contract is over, but its init stays on for the
	// sub-contracts in namespaces below its own (the kernel would kill
	// them with it). A husk is no contract to list, adopt or inherit from;
	// its record is kept only so that what its init leaves (endpoint,
	// cgroups) is collected should the init be killed.
	Husk bool `json:"husk,omitempty"`
	// Claim names the claim on what its holder made for the contract
	// (see Claim), released by whoever holds it last.
	Claim string `json:"claim,omitempty"`
	// Grace is how long the holder lets members outlive a user's stop
	// before it kills them (a Go duration, "10s"; empty: not recorded, as
	// before holders wrote it): ctkill --stop waits that long, and a
	// margin, for the holder to empty the contract.
	Grace string `json:"grace,omitempty"`
}

// StopGrace is the holder's grace period as recorded, and whether one is.
func (r *Record) StopGrace() (time.Duration, bool) {
	d, err := time.ParseDuration(r.Grace)
	return d, err == nil && d >= 0
}

// OwnPidNS is the caller's PID namespace (nsfs inode), 0 if unknown.
func OwnPidNS() uint64 {
	ino, err := procfs.Default.OwnPidNamespace()
	if err != nil {
		return 0
	}
	return ino
}

// Dir is the registry directory of the caller.
type Dir string

// Path is where record id lives.
func (d Dir) Path(id int) string { return filepath.Join(string(d), strconv.Itoa(id)+".json") }

// Write stores r atomically (write and rename): a reader never sees half a
// record.
func (d Dir) Write(r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("record contract %d: %w", r.ID, err)
	}
	if err := writeAtomic(d.Path(r.ID), b); err != nil {
		return fmt.Errorf("record contract %d: %w", r.ID, err)
	}
	return nil
}

// writeAtomic writes b to final through a temporary file named after the
// writer (TempName), renamed into place: a reader never sees half a file,
// two writers never share a temporary file, and one left by a writer
// killed half-way is known to be its (see collectTemps).
func writeAtomic(final string, b []byte) error {
	tmp := TempName(final, os.Getpid())
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = writeRename(tmp, final, b); !errors.Is(err, os.ErrNotExist) {
			break
		}
		// A collector outside our PID namespace took us for gone and
		// removed the file between the write and the rename.
	}
	return err
}

func writeRename(tmp, final string, b []byte) error {
	f, err := openTemp(tmp)
	if err != nil {
		return err
	}
	return fillRename(f, tmp, final, b)
}

// openTemp makes (or empties) temporary file tmp, never through a symlink.
func openTemp(tmp string) (*os.File, error) {
	return os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o600)
}

// fillRename writes b to f, the open temporary file tmp, closes it and
// renames it to final; on failure tmp is removed.
func fillRename(f *os.File, tmp, final string, b []byte) error {
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, final)
	}
	if werr != nil {
		os.Remove(tmp)
	}
	return werr
}

// Staged is the temporary file of a record made before the record can be
// written: a restart's next contract is made ahead, its id known, while the
// run before it holds its own (holder/ahead.go). Creating a file is most of
// a record's writing where the state directory is on a disk (ext4 here:
// its inode and journal); at the restart only the write and the rename are
// left. It is named as writeAtomic's are, so a collector removes it when
// its holder is gone.
type Staged struct {
	d    Dir
	id   int
	f    *os.File
	tmp  string
	done bool
}

// Stage makes the temporary file of contract id's record.
func (d Dir) Stage(id int) (*Staged, error) {
	final := d.Path(id)
	tmp := TempName(final, os.Getpid())
	f, err := openTemp(tmp)
	if err != nil {
		return nil, fmt.Errorf("record contract %d: %w", id, err)
	}
	return &Staged{d: d, id: id, f: f, tmp: tmp}, nil
}

// Write writes r (whose ID must be the staged one) and renames it into
// place; should the temporary file be gone meanwhile (a collector outside
// our PID namespace took us for dead), it is written as Dir.Write does.
func (s *Staged) Write(r *Record) error {
	if s.done {
		return s.d.Write(r)
	}
	if r.ID != s.id {
		s.Drop()
		return s.d.Write(r)
	}
	s.done = true
	b, err := json.Marshal(r)
	if err != nil {
		s.f.Close()
		os.Remove(s.tmp)
		return fmt.Errorf("record contract %d: %w", r.ID, err)
	}
	if err := fillRename(s.f, s.tmp, s.d.Path(r.ID), b); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s.d.Write(r)
		}
		return fmt.Errorf("record contract %d: %w", r.ID, err)
	}
	return nil
}

// Drop removes the temporary file of a record that will not be written.
func (s *Staged) Drop() {
	if s == nil || s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.tmp)
}

// TempName is the temporary file writer pid writes final through.
func TempName(final string, pid int) string {
	return final + "." + strconv.Itoa(pid) + TempSuffix
}

// TempSuffix ends the name of a file being written.
const TempSuffix = ".tmp"

// MarkHusk records that contract id is over while its init stays on
// (see Record.Husk). Root holding a user's contract (adopted) writes as
// that user, as Reparent does.
func (d Dir) MarkHusk(id int) error {
	return d.asDirOwner(func() error {
		r, err := d.Read(id)
		if err != nil {
			return err
		}
		r.Husk = true
		return d.Write(r)
	})
}

// Remove deletes record id.
func (d Dir) Remove(id int) error {
	if err := os.Remove(d.Path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove record of contract %d: %w", id, err)
	}
	return nil
}

// Self names the calling process, also as seen in its own PID namespace.
func Self() Process {
	p := ProcessOf(os.Getpid())
	p.NS, p.NSPid = OwnPidNS(), os.Getpid()
	return p
}

// ProcessOf names process pid (start time 0 when it cannot be read).
func ProcessOf(pid int) Process {
	st, _ := StartTime(pid)
	return Process{Pid: pid, Start: st}
}

// Alive says whether p still runs (same pid, same start time). A zombie
// does not: a holder killed by SIGKILL whose parent has not reaped it yet
// holds nothing.
func (p Process) Alive() bool {
	if p.Pid <= 0 {
		return false
	}
	st, err := procfs.Default.Stat(p.Pid)
	return err == nil && st.StartTime == p.Start && !st.State.Exited()
}

// StartTime reads a process's start time from /proc/PID/stat.
func StartTime(pid int) (uint64, error) {
	st, err := procfs.Default.Stat(pid)
	return st.StartTime, err
}

// Now is the record's timestamp format.
func Now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
