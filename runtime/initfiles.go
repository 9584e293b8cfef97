package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// initFiles are the descriptors a contract's init is started with, in
// protocol.h's order from 3 up: the child's end of the control socket, the
// configuration memfd, the command's standard streams (/dev/null for a
// closed one: the configuration marks it closed) and its further
// descriptors. Whatever starts the init (libcontainer, or a plain fork)
// hands extra over at 3 and up.
type initFiles struct {
	control *os.File // the holder's end
	config  configFile
	extra   []*os.File
	// childEnd, devnull and the low copies are closed once the init
	// has them.
	childEnd, devnull *os.File
	low               []*os.File
}

func openInitFiles(o Options) (_ *initFiles, err error) {
	if len(o.Extra) > wire.MaxExtra {
		return nil, fmt.Errorf("%d inherited descriptors: at most %d can be handed on", len(o.Extra), wire.MaxExtra)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	f := &initFiles{control: os.NewFile(uintptr(fds[0]), "ctrun-control"), childEnd: os.NewFile(uintptr(fds[1]), "ctrun-control-init")}
	defer func() {
		if err != nil {
			f.control.Close()
			f.config.close()
			f.closeChildEnds()
		}
	}()
	mfd, err := unix.MemfdCreate("ctrun-config", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("configuration memfd: %w", err)
	}
	f.config = configFile{os.NewFile(uintptr(mfd), "ctrun-config")}
	if f.devnull, err = os.Open(os.DevNull); err != nil {
		return nil, err
	}
	f.extra = []*os.File{f.childEnd, f.config.File}
	for _, s := range o.Stdio {
		if s == nil {
			s = f.devnull
		}
		f.extra = append(f.extra, s)
	}
	for _, e := range o.Extra {
		l, err := f.lowCopy(e.File)
		if err != nil {
			return nil, fmt.Errorf("inherited descriptor %d: %w", e.Target, err)
		}
		f.extra = append(f.extra, l)
	}
	return f, nil
}

// lowCopy is file at the lowest free number, if that is below its own.
// Whatever starts the init (Go's fork and exec) moves the descriptors it
// hands over through numbers above the highest of them: an inherited
// descriptor near or above the limit on open files (ulimit -n lowered
// after it was opened) would make that fail with EBADF.
func (f *initFiles) lowCopy(file *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(file.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, err
	}
	if uintptr(fd) > file.Fd() {
		unix.Close(fd)
		return file, nil
	}
	l := os.NewFile(uintptr(fd), file.Name())
	f.low = append(f.low, l)
	return l, nil
}

// closeChildEnds closes what only the init needs, once it has them.
func (f *initFiles) closeChildEnds() {
	if f.childEnd != nil {
		f.childEnd.Close()
	}
	if f.devnull != nil {
		f.devnull.Close()
	}
	for _, l := range f.low {
		l.Close()
	}
	f.low = nil
}

// configFile is the memfd the init reads its configuration from, once
// told to go or once its holder is gone.
type configFile struct{ *os.File }

// write replaces the configuration. Write, then cut what is left of a
// longer one: at every moment the file starts with a whole configuration
// the init can act on.
func (f configFile) write(c wire.Config) error {
	b := c.Encode()
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write contract configuration: %w", err)
	}
	if err := f.Truncate(int64(len(b))); err != nil {
		return fmt.Errorf("write contract configuration: %w", err)
	}
	return nil
}

func (f configFile) close() {
	if f.File != nil {
		f.File.Close()
	}
}

// commandConfig is the init's configuration for the command of o, in the
// contract s settles, whatever holds it.
func commandConfig(o Options, s Start) wire.Config {
	c := wire.Config{
		UID:      uint32(os.Getuid()),
		GID:      uint32(os.Getgid()),
		SigIgn:   o.SigIgn,
		SigBlk:   o.SigBlk,
		Path:     o.Path,
		Dir:      o.Dir,
		Argv:     o.Argv,
		Env:      o.Env,
		Record:   s.Record,
		Endpoint: s.Endpoint,
	}
	if o.NoOrphan {
		c.Flags |= wire.FlagNoOrphan
	}
	if o.TTY {
		c.Flags |= wire.FlagTTY
	}
	if s.Notify || s.Report {
		c.Flags |= wire.FlagNotify
	}
	if s.Report {
		c.Flags |= wire.FlagReport
	}
	for n, f := range o.Stdio {
		if f != nil {
			c.StdioOpen |= 1 << n
		}
	}
	for _, e := range o.Extra {
		c.ExtraTargets = append(c.ExtraTargets, e.Target)
	}
	return c
}
