// Package procfs reads what ctrun's commands and holder need of /proc: the
// processes there, the PID namespace each is in, their identity (pid, pid
// in their own namespace, name), state and start time.
//
// A contract is a PID namespace, so "the members of contract N" is a
// question about /proc: which processes share the namespace of init N
// (or, for a contract held without a namespace of its own, which descend
// from init N: Tree). ctkill, ctstat, the holder and the registry all ask
// it, each in its own way (one contract or many at once, zombies or not,
// on a hot path or not); this package answers it once, with one spelling
// of the fields (Pid, NSPid, Comm), so that the answers cannot drift
// apart.
//
// Two constraints shape it. The holder reads a status file for every
// process a contract starts, so FS.Read and FS.Status read into a Scratch
// the caller keeps and parse in place. ctstat looks at every process of
// the machine, so reads are bare open(2)/read(2) calls rather than
// os.ReadFile (which costs twice the calls), and a scan for many contracts
// is one pass over /proc.
//
// The package is a leaf: it imports only the standard library and
// golang.org/x/sys/unix.
package procfs
