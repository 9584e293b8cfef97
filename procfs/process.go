package procfs

import (
	"bytes"
	"os"

	"golang.org/x/sys/unix"
)

// Comm is the name of process pid, as /proc/PID/comm has it (unescaped,
// unlike Status.Name), without the newline after it.
func (fs FS) Comm(pid int) (string, error) {
	var buf [128]byte // a name is at most 64 bytes
	b, err := ReadSmall(fs.path(pid, "comm"), buf[:])
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b, []byte{'\n'})), nil
}

// Owner is the uid /proc gives as the owner of process pid's directory:
// its effective uid (root's for a process that is not dumpable).
func (fs FS) Owner(pid int) (int, error) {
	path := fs.path(pid, "")
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return int(st.Uid), nil
}

// Arg is argument i of process pid's command line (0 is the program), ""
// when it has none or cannot be read.
func (fs FS) Arg(pid, i int) string {
	var buf [512]byte
	b, err := ReadSmall(fs.path(pid, "cmdline"), buf[:])
	if err != nil {
		return ""
	}
	for n := 0; len(b) > 0; n++ {
		arg, rest, _ := bytes.Cut(b, []byte{0})
		if n == i {
			return string(arg)
		}
		b = rest
	}
	return ""
}

// Env is the value of variable key in process pid's environment, as it
// was started with (/proc/PID/environ; the first, should key be there
// twice), and whether it is there. Only the first 4 KiB are read: the
// environment looked for is a contract init's, which ctrun makes short.
func (fs FS) Env(pid int, key string) (string, bool) {
	var buf [4096]byte
	b, err := ReadSmall(fs.path(pid, "environ"), buf[:])
	if err != nil {
		return "", false
	}
	for len(b) > 0 {
		var kv []byte
		kv, b, _ = bytes.Cut(b, []byte{0})
		if k, v, ok := bytes.Cut(kv, []byte{'='}); ok && string(k) == key {
			return string(v), true
		}
	}
	return "", false
}
