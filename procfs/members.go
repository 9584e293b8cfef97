package procfs

import "sort"

// Member is a member of a contract: a process of a PID namespace other
// than its init, or a descendant of an init that has no namespace of its
// own (FS.DescendantMembers). Its JSON names are those ctstat -j prints for a member
// (and the event stream for the process of an event).
type Member struct {
	Pid   int    `json:"pid"`   // pid as the FS read shows it (the host pid on the host)
	NSPid int    `json:"nspid"` // pid in its own, innermost PID namespace
	Comm  string `json:"comm"`  // name (Status.Name)
}

// Options choose which processes count as members.
type Options struct {
	// Live leaves out the processes that have exited (Exited): a zombie
	// can no longer be signalled (ctkill).
	Live bool
}

// Member describes process pid if it is a member of ns (never its init).
// A process that is gone, or that cannot be looked at, is not.
func (fs FS) Member(ns Namespace, pid int, opt Options) (Member, bool) {
	if pid == ns.Init {
		return Member{}, false
	}
	if ino, err := fs.PidNamespace(pid); err != nil || ino != ns.Ino {
		return Member{}, false
	}
	var s Scratch
	return fs.describe(pid, opt, &s)
}

// MembersOf lists the members of each of nss, by pid, keyed by namespace
// inode, with a single pass over fs whatever the number of namespaces
// (ctstat lists every contract's). Members of a namespace nested below
// one of nss (a sub-contract) are not its members. With an error listing
// fs, it returns what it found before it.
func (fs FS) MembersOf(nss []Namespace, opt Options) (map[uint64][]Member, error) {
	out := make(map[uint64][]Member, len(nss))
	var s Scratch // one buffer for every status file
	err := fs.scan(nss, func(ns Namespace, pid int) {
		if m, ok := fs.describe(pid, opt, &s); ok {
			out[ns.Ino] = append(out[ns.Ino], m)
		}
	})
	for _, ms := range out {
		sort.Slice(ms, func(i, j int) bool { return ms[i].Pid < ms[j].Pid })
	}
	return out, err
}

// NamespacePids lists the pids of the processes in ns but its init, in
// order, without reading anything else of them: zombies are there too.
func (fs FS) NamespacePids(ns Namespace) ([]int, error) {
	var out []int
	err := fs.scan([]Namespace{ns}, func(_ Namespace, pid int) { out = append(out, pid) })
	sort.Ints(out)
	return out, err
}

// scan makes one pass over fs and calls found for each process in one of
// nss, other than that namespace's init.
func (fs FS) scan(nss []Namespace, found func(ns Namespace, pid int)) error {
	byIno := make(map[uint64]Namespace, len(nss))
	for _, ns := range nss {
		byIno[ns.Ino] = ns
	}
	if len(byIno) == 0 {
		return nil
	}
	pids, err := fs.Pids()
	for _, pid := range pids {
		ino, nerr := fs.PidNamespace(pid)
		if nerr != nil {
			continue // gone, or not the caller's to see
		}
		if ns, ok := byIno[ino]; ok && pid != ns.Init {
			found(ns, pid)
		}
	}
	return err
}

// describe reads what a Member says of process pid, if it still runs (is
// alive enough for opt) and has a pid in its own namespace.
func (fs FS) describe(pid int, opt Options, s *Scratch) (Member, bool) {
	st, err := fs.Status(pid, s)
	if err != nil || (opt.Live && st.State.Exited()) {
		return Member{}, false
	}
	nspid, ok := st.NSPid.At(Last)
	if !ok || nspid <= 0 {
		return Member{}, false
	}
	return Member{Pid: pid, NSPid: nspid, Comm: string(st.Name)}, true
}
