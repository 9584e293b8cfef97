package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A claim says what a holder is about to make on the host for one
// contract instance, before it makes any of it: the instance's name (which
// names its rootfs and libcontainer directories in the state directory and
// its cgroup, ctrun-<name>, in every hierarchy), the cgroups it is made
// below, the holder, and once started the init. A holder killed at any
// instant of making, restarting or tearing down an instance leaves a claim
// beside what it made, so that whoever collects next (CollectRemains) knows
// what belongs to a dead holder and removes exactly that, never what a
// live holder is still making.
//
// A claim lives as long as what it names: the holder removes it last, when
// it destroys the instance; an orphaned contract's init removes it with the
// rest as the contract ends (runtime/cinit/cleanup.c).
type Claim struct {
	// Name is the instance's name (runtime.Options.Name).
	Name string `json:"name"`
	// Holder made the instance; PidNS is the PID namespace its pids are
	// numbered in (only a collector in the same one can judge them).
	Holder Process `json:"holder"`
	PidNS  uint64  `json:"pidns"`
	// CgroupParents are the holder's own cgroup directories, one per
	// hierarchy: the instance's cgroups are ctrun-<Name> in them.
	CgroupParents []string `json:"cgroup_parents,omitempty"`
	// Init is libcontainer's init process once it runs (zero before).
	Init Process `json:"init"`
	// Made: the init runs ours. Until then no command can have started,
	// so a collector may end the init; from then on the init ends by
	// itself when its holder is gone before the go, and an orphaned
	// contract's init is never touched.
	Made bool `json:"made,omitempty"`
}

// ClaimSuffix ends a claim's file name: <name>.claim.
const ClaimSuffix = ".claim"

// Rootfs and LibcontainerDir suffixes: the instance's directories in the
// state directory are <name>.root and <name>.lc.
const (
	RootfsSuffix       = ".root"
	LibcontainerSuffix = ".lc"
)

// CgroupName is the name of an instance's cgroup directories.
func CgroupName(name string) string { return "ctrun-" + name }

// ClaimPath is where the claim of instance name lives in d.
func (d Dir) ClaimPath(name string) string { return filepath.Join(string(d), name+ClaimSuffix) }

// validName: an instance name is made by the holder of digits, hex digits
// and dashes; anything else in a claim is not ours (a path in disguise).
func validName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// WriteClaim stores c atomically, replacing an earlier claim for the same
// instance (the holder adds the init once it runs).
func (d Dir) WriteClaim(c *Claim) error {
	if !validName(c.Name) {
		return fmt.Errorf("claim for instance %q: not a name ctrun makes", c.Name)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("claim for instance %s: %w", c.Name, err)
	}
	if err := writeAtomic(d.ClaimPath(c.Name), b); err != nil {
		return fmt.Errorf("claim for instance %s: %w", c.Name, err)
	}
	return nil
}

// RemoveClaim deletes the claim of instance name, once what it names is
// gone.
func (d Dir) RemoveClaim(name string) {
	if validName(name) {
		_ = os.Remove(d.ClaimPath(name))
	}
}

// ReadClaim reads the claim of instance name with the care Read takes over
// a record: a regular file of the directory's owner, not too long, whole.
func (d Dir) ReadClaim(name string) (*Claim, error) {
	if !validName(name) {
		return nil, fmt.Errorf("claim %q: not a name ctrun makes: refusing it", name)
	}
	path := d.ClaimPath(name)
	b, err := d.readOwned(path, maxClaim)
	if err != nil {
		return nil, err
	}
	var c Claim
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("claim %s is damaged: %v", path, err)
	}
	if c.Name != name {
		return nil, fmt.Errorf("claim %s is damaged: it names instance %q", path, c.Name)
	}
	return &c, nil
}

// maxClaim bounds what ReadClaim takes in: a claim is a few hundred bytes.
const maxClaim = 64 << 10

// readOwned reads the regular file path of d's owner, refusing a symlink,
// anything but a regular file (a FIFO would block), another user's file
// and one longer than max.
func (d Dir) readOwned(path string, max int64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			return nil, fmt.Errorf("%s is a symlink: refusing it", path)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st, dst unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := unix.Lstat(string(d), &dst); err != nil {
		return nil, fmt.Errorf("registry %s: %w", d, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fmt.Errorf("%s is not a regular file: refusing it", path)
	case st.Uid != dst.Uid:
		return nil, fmt.Errorf("%s belongs to uid %d, not to the directory's owner: refusing it", path, st.Uid)
	case st.Size > max:
		return nil, fmt.Errorf("%s is damaged: %d bytes", path, st.Size)
	}
	b := make([]byte, st.Size)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Shortened meanwhile: the JSON says whether it is whole.
	return b[:n], nil
}

// Claims lists the names of the instances claimed in d.
func (d Dir) Claims() []string {
	des, err := os.ReadDir(string(d))
	if err != nil {
		return nil
	}
	var out []string
	for _, de := range des {
		if name, ok := strings.CutSuffix(de.Name(), ClaimSuffix); ok && validName(name) {
			out = append(out, name)
		}
	}
	return out
}
