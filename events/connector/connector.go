// Package connector reads the kernel's process events (the netlink process
// connector, CN_IDX_PROC): every fork, exec and exit on the machine, with
// host pids and, for an exit, the wait status. It needs no privilege and no
// ptrace, so it sees every member of a contract — also a grandchild reaped
// by its own parent, or a daemon that double-forked away — without slowing
// any of them down.
//
// vishvananda/netlink offers a monitor for the same socket, but decodes each
// event by reflection into a channel and does not report lost events; a
// holder reads every event of the machine, so this reader decodes in place
// and reports an overrun (ENOBUFS) so the caller can resynchronise.
package connector

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// What an event is (enum what in linux/cn_proc.h).
const (
	Fork     = 0x00000001
	Exec     = 0x00000002
	UID      = 0x00000004
	GID      = 0x00000040
	SID      = 0x00000080
	Comm     = 0x00000200
	Coredump = 0x40000000
	Exit     = 0x80000000
)

const (
	cnIdxProc         = 0x1
	cnValProc         = 0x1
	procCnMcastListen = 1
	procCnMcastIgnore = 2
	cnMsgSize         = 20 // struct cn_msg: id(8) seq ack len flags
	procEventHdr      = 16 // what cpu timestamp_ns
)

// Event is one process event. Fields that do not apply are zero.
type Event struct {
	What uint32
	// Timestamp is when the kernel made the event (CLOCK_MONOTONIC ns).
	Timestamp uint64
	// Pid and Tgid: the process (thread) the event is about; for Fork the
	// child.
	Pid, Tgid int
	// ParentPid and ParentTgid: for Fork the parent; for Exit the parent
	// that will be told (kernels from 6.2 on report it).
	ParentPid, ParentTgid int
	// ExitCode is the wait status of an Exit.
	ExitCode   uint32
	ExitSignal uint32
	// Comm is the new name of a Comm event.
	Comm string
}

// ErrOverrun means events were lost because the socket's buffer filled:
// the caller must rebuild what it knows from /proc.
var ErrOverrun = errors.New("process events lost (socket buffer overrun)")

// Conn is a subscription to process events.
type Conn struct {
	fd  int
	buf []byte
	// pending holds events decoded from one datagram not yet returned.
	pending []Event
}

// Open subscribes to the machine's process events.
func Open() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("open process events: %w", err)
	}
	c := &Conn{fd: fd, buf: make([]byte, 64<<10)}
	// A large buffer rides out bursts (a thousand members dying at once)
	// while the holder is busy; RCVBUFFORCE works for root only.
	const want = 8 << 20
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, want) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, want)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc, Pid: 0}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind process events: %w", err)
	}
	if err := c.control(procCnMcastListen); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("subscribe to process events: %w", err)
	}
	return c, nil
}

func (c *Conn) control(op uint32) error {
	msg := make([]byte, unix.NLMSG_HDRLEN+cnMsgSize+4)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ne.PutUint32(msg[12:], uint32(os.Getpid()))
	cn := msg[unix.NLMSG_HDRLEN:]
	ne.PutUint32(cn[0:], cnIdxProc)
	ne.PutUint32(cn[4:], cnValProc)
	ne.PutUint16(cn[16:], 4)
	ne.PutUint32(cn[cnMsgSize:], op)
	return unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// Fd is the socket, for polling.
func (c *Conn) Fd() int { return c.fd }

// Read returns the next event, blocking until one arrives (unless the
// socket was made non-blocking, then unix.EAGAIN). ErrOverrun reports lost
// events; reading may go on afterwards.
func (c *Conn) Read() (Event, error) {
	for len(c.pending) == 0 {
		n, from, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			if err == unix.ENOBUFS {
				return Event{}, ErrOverrun
			}
			return Event{}, err
		}
		if sa, ok := from.(*unix.SockaddrNetlink); ok && sa.Pid != 0 {
			continue // only the kernel speaks here
		}
		c.decode(c.buf[:n])
	}
	ev := c.pending[0]
	c.pending = c.pending[1:]
	return ev, nil
}

func (c *Conn) decode(b []byte) {
	ne := binary.NativeEndian
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(ne.Uint32(b[0:]))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return
		}
		typ := ne.Uint16(b[4:])
		if typ == unix.NLMSG_DONE {
			if ev, ok := parse(b[unix.NLMSG_HDRLEN:l]); ok {
				c.pending = append(c.pending, ev)
			}
		}
		next := nlmsgAlign(l)
		if next > len(b) {
			return // a last message without padding
		}
		b = b[next:]
	}
}

func nlmsgAlign(l int) int {
	a := (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
	return a
}

func parse(b []byte) (Event, bool) {
	ne := binary.NativeEndian
	if len(b) < cnMsgSize+procEventHdr {
		return Event{}, false
	}
	if ne.Uint32(b[0:]) != cnIdxProc || ne.Uint32(b[4:]) != cnValProc {
		return Event{}, false
	}
	ev := b[cnMsgSize:]
	what := ne.Uint32(ev[0:])
	d := ev[procEventHdr:]
	u := func(i int) int {
		if len(d) < 4*(i+1) {
			return 0
		}
		return int(ne.Uint32(d[4*i:]))
	}
	e := Event{What: what, Timestamp: ne.Uint64(ev[8:])}
	switch what {
	case Fork:
		e.ParentPid, e.ParentTgid, e.Pid, e.Tgid = u(0), u(1), u(2), u(3)
	case Comm:
		e.Pid, e.Tgid = u(0), u(1)
		if len(d) >= 8+16 {
			name := d[8 : 8+16]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			e.Comm = string(name)
		}
	case Exec, Coredump, UID, GID, SID:
		e.Pid, e.Tgid = u(0), u(1)
	case Exit:
		e.Pid, e.Tgid = u(0), u(1)
		e.ExitCode, e.ExitSignal = uint32(u(2)), uint32(u(3))
		e.ParentPid, e.ParentTgid = u(4), u(5)
	default:
		return Event{}, false
	}
	return e, true
}

// Close unsubscribes.
func (c *Conn) Close() error {
	_ = c.control(procCnMcastIgnore)
	return unix.Close(c.fd)
}
