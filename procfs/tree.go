package procfs

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// Tree is every process's parent at one moment (one pass over the FS). A
// contract held without a PID namespace of its own (a subreaper init, or
// a container's PID namespace) is a subtree, not a namespace: its members
// are its init's descendants.
type Tree struct {
	children map[int][]int
	comm     map[int]string
	exited   map[int]bool
}

// Tree reads every process's parent and name. A process gone meanwhile is
// left out; with an error listing the FS, what was read is returned.
func (fs FS) Tree() (Tree, error) {
	pids, err := fs.Pids()
	t := Tree{children: make(map[int][]int, len(pids)), comm: make(map[int]string, len(pids)), exited: map[int]bool{}}
	for _, pid := range pids {
		st, serr := fs.Stat(pid)
		if serr != nil {
			continue
		}
		t.children[st.PPid] = append(t.children[st.PPid], pid)
		t.comm[pid] = st.Comm
		if st.State.Exited() {
			t.exited[pid] = true
		}
	}
	return t, err
}

// Exited says whether pid had exited (a zombie) when the tree was read.
func (t Tree) Exited(pid int) bool { return t.exited[pid] }

// Descendants lists root's descendants, in pid order. The subtree of a
// descendant for which prune says true is left out, that descendant
// included (a sub-contract's init and all below it).
func (t Tree) Descendants(root int, prune func(pid int, comm string) bool) []int {
	var out []int
	queue := append([]int(nil), t.children[root]...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if prune != nil && prune(pid, t.comm[pid]) {
			continue
		}
		out = append(out, pid)
		queue = append(queue, t.children[pid]...)
	}
	sort.Ints(out)
	return out
}

// DescendantMembers describes root's descendants (see Descendants) as
// members, with the process's pid in its own namespace and its name.
func (fs FS) DescendantMembers(t Tree, root int, prune func(pid int, comm string) bool, opt Options) []Member {
	var s Scratch
	var out []Member
	for _, pid := range t.Descendants(root, prune) {
		if m, ok := fs.describe(pid, opt, &s); ok {
			out = append(out, m)
		}
	}
	return out
}

// Descendant describes process pid if it is a descendant of root, and not
// in a subtree prune leaves out (see Descendants); it follows pid's
// parents up, without reading the whole FS.
func (fs FS) Descendant(root, pid int, prune func(pid int, comm string) bool, opt Options) (Member, bool) {
	if pid == root {
		return Member{}, false
	}
	for p, depth := pid, 0; depth < 4096; depth++ {
		st, err := fs.Stat(p)
		if err != nil {
			return Member{}, false
		}
		if prune != nil && prune(p, st.Comm) {
			return Member{}, false
		}
		if st.PPid == root {
			var s Scratch
			return fs.describe(pid, opt, &s)
		}
		if st.PPid <= 1 {
			return Member{}, false
		}
		p = st.PPid
	}
	return Member{}, false
}

// Children lists process pid's children, from its threads' children
// files: far fewer reads than a Tree of the whole FS when only one
// process's children are wanted (a reaper's).
func (fs FS) Children(pid int) ([]int, error) {
	tasks, err := os.ReadDir(fs.path(pid, "task"))
	if err != nil {
		return nil, err
	}
	var out []int
	var s Scratch
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		kids, err := fs.TaskChildren(pid, tid, &s)
		if err != nil {
			continue // the thread is gone
		}
		out = append(out, kids...)
	}
	return out, nil
}

// TaskChildren lists the children of thread tid of process pid: its
// children file, read whole however many there are (a reaper's may hold
// thousands).
func (fs FS) TaskChildren(pid, tid int, s *Scratch) ([]int, error) {
	b, err := fs.Read(pid, "task/"+strconv.Itoa(tid)+"/children", s)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, f := range bytes.Fields(b) {
		child, err := strconv.Atoi(string(f))
		if err != nil {
			return nil, fmt.Errorf("children of %d: %w", tid, ErrFormat)
		}
		out = append(out, child)
	}
	return out, nil
}
