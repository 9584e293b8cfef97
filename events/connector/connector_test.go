package connector

import (
	"encoding/binary"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// msg builds one netlink message as the kernel sends it: nlmsghdr (type
// NLMSG_DONE), cn_msg {idx, val, seq, ack, len, flags}, then proc_event
// {what, cpu, timestamp, data}. The length is padded to 4 bytes unless
// raw.
func msg(idx, val, what uint32, ts uint64, data ...uint32) []byte {
	ne := binary.NativeEndian
	payload := 16 + 4*len(data)
	total := 16 + cnMsgSize + payload
	b := make([]byte, total)
	ne.PutUint32(b[0:], uint32(total))
	ne.PutUint16(b[4:], unix.NLMSG_DONE)
	ne.PutUint32(b[8:], 7) // seq
	cn := b[16:]
	ne.PutUint32(cn[0:], idx)
	ne.PutUint32(cn[4:], val)
	ne.PutUint32(cn[8:], 1)  // seq
	ne.PutUint32(cn[12:], 0) // ack
	ne.PutUint16(cn[16:], uint16(payload))
	pe := cn[cnMsgSize:]
	ne.PutUint32(pe[0:], what)
	ne.PutUint32(pe[4:], 3) // cpu
	ne.PutUint64(pe[8:], ts)
	for i, d := range data {
		ne.PutUint32(pe[16+4*i:], d)
	}
	return b
}

func procMsg(what uint32, ts uint64, data ...uint32) []byte {
	return msg(cnIdxProc, cnValProc, what, ts, data...)
}

// withType changes the nlmsghdr type of a message.
func withType(b []byte, typ uint16) []byte {
	binary.NativeEndian.PutUint16(b[4:], typ)
	return b
}

// withLen sets the nlmsghdr length to the message's actual length.
func withLen(b []byte) []byte {
	b = append([]byte{}, b...)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	return b
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestDecode(t *testing.T) {
	fork := procMsg(Fork, 1000, 10, 10, 11, 11)
	exec := procMsg(Exec, 2000, 11, 11)
	exit := procMsg(Exit, 3000, 11, 11, 3<<8, 17, 10, 10)
	forkEv := Event{What: Fork, Timestamp: 1000, ParentPid: 10, ParentTgid: 10, Pid: 11, Tgid: 11}
	execEv := Event{What: Exec, Timestamp: 2000, Pid: 11, Tgid: 11}
	exitEv := Event{What: Exit, Timestamp: 3000, Pid: 11, Tgid: 11, ExitCode: 3 << 8, ExitSignal: 17, ParentPid: 10, ParentTgid: 10}
	for _, tc := range []struct {
		name string
		data []byte
		want []Event
	}{
		{"fork", fork, []Event{forkEv}},
		{"thread fork", procMsg(Fork, 5, 10, 10, 12, 10), []Event{{What: Fork, Timestamp: 5, ParentPid: 10, ParentTgid: 10, Pid: 12, Tgid: 10}}},
		{"exec", exec, []Event{execEv}},
		{"exit", exit, []Event{exitEv}},
		{"exit killed by a signal", procMsg(Exit, 9, 20, 21, uint32(unix.SIGSEGV)|0x80, 17, 1, 1),
			[]Event{{What: Exit, Timestamp: 9, Pid: 20, Tgid: 21, ExitCode: uint32(unix.SIGSEGV) | 0x80, ExitSignal: 17, ParentPid: 1, ParentTgid: 1}}},
		{"exit of an old kernel without the parent", procMsg(Exit, 9, 20, 20, 0, 17),
			[]Event{{What: Exit, Timestamp: 9, Pid: 20, Tgid: 20, ExitSignal: 17}}},
		{"comm", procMsg(Comm, 4, 30, 31, 0x41414141, 0, 0, 0), []Event{{What: Comm, Timestamp: 4, Pid: 30, Tgid: 31, Comm: "AAAA"}}},
		{"two messages in one datagram", cat(fork, exit), []Event{forkEv, exitEv}},
		{"three messages in one datagram", cat(fork, exec, exit), []Event{forkEv, execEv, exitEv}},
		{"truncated second message", cat(fork, exit[:len(exit)-8]), []Event{forkEv}},
		{"truncated header", fork[:10], nil},
		{"message shorter than a proc_event header", withLen(fork[:16+cnMsgSize+8]), nil},
		{"zero length does not loop", func() []byte { b := cat(fork); binary.NativeEndian.PutUint32(b[0:], 0); return b }(), nil},
		{"length below a header stops", func() []byte { b := cat(fork, exit); binary.NativeEndian.PutUint32(b[0:], 8); return b }(), nil},
		{"length beyond the datagram", fork[:len(fork)-4], nil},
		{"foreign idx", msg(0x2, cnValProc, Fork, 1, 1, 1, 2, 2), nil},
		{"foreign val", msg(cnIdxProc, 0x5, Fork, 1, 1, 1, 2, 2), nil},
		{"foreign message between two", cat(fork, msg(0x7, 1, Fork, 1, 1, 1, 2, 2), exit), []Event{forkEv, exitEv}},
		{"other netlink type skipped", cat(withType(procMsg(Fork, 1, 1, 1, 2, 2), unix.NLMSG_NOOP), exit), []Event{exitEv}},
		{"unknown what", procMsg(0x1000, 1, 1, 1), nil},
		{"unknown what between two", cat(fork, procMsg(0x1000, 1, 1, 1), exec), []Event{forkEv, execEv}},
		{"empty datagram", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Conn
			c.decode(tc.data)
			if len(c.pending) != len(tc.want) || (len(tc.want) > 0 && !reflect.DeepEqual(c.pending, tc.want)) {
				t.Errorf("decoded %+v\nwant    %+v", c.pending, tc.want)
			}
		})
	}
}

func TestDecodeAppends(t *testing.T) {
	// Events of a second datagram queue after those not yet read.
	for _, tc := range []struct {
		name     string
		datagram [][]byte
		want     []uint32
	}{
		{"two datagrams", [][]byte{procMsg(Fork, 1, 1, 1, 2, 2), procMsg(Exit, 2, 2, 2, 0, 17)}, []uint32{Fork, Exit}},
		{"bad datagram in between", [][]byte{procMsg(Exec, 1, 2, 2), {1, 2, 3}, procMsg(Exit, 2, 2, 2, 0, 17)}, []uint32{Exec, Exit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Conn
			for _, d := range tc.datagram {
				c.decode(d)
			}
			var got []uint32
			for _, e := range c.pending {
				got = append(got, e.What)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded kinds %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestDecodeUnalignedLast(t *testing.T) {
	// A final message whose length is not a multiple of 4 and that ends
	// the datagram exactly (no padding): decode it and stop, as the
	// kernel's nlmsg_next does.
	for _, tc := range []struct {
		name  string
		extra int
	}{
		{"one byte over", 1},
		{"three bytes over", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := procMsg(Exec, 1, 5, 5)
			m = append(m, make([]byte, tc.extra)...)
			binary.NativeEndian.PutUint32(m[0:], uint32(len(m)))
			var c Conn
			c.decode(m)
			if len(c.pending) != 1 || c.pending[0].What != Exec || c.pending[0].Pid != 5 {
				t.Errorf("decoded %+v, want the exec of pid 5", c.pending)
			}
		})
	}
}

func TestNlmsgAlign(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 0}, {1, 4}, {4, 4}, {5, 8}, {76, 76}, {77, 80}} {
		t.Run(strconv.Itoa(tc.in), func(t *testing.T) {
			if got := nlmsgAlign(tc.in); got != tc.want {
				t.Errorf("nlmsgAlign(%d) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

// TestLive subscribes for real and watches /bin/true fork and exit.
func TestLive(t *testing.T) {
	c, err := Open()
	if err != nil {
		t.Skipf("cannot subscribe to the process connector here (needs netlink connector support, usually CAP_NET_ADMIN in the initial user namespace): %v", err)
	}
	defer c.Close()
	if err := unix.SetNonblock(c.Fd(), true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"true", []string{"/bin/true"}, 0},
		{"exit 3", []string{"/bin/sh", "-c", "exit 3"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.args[0]); err != nil {
				t.Skipf("%s: %v", tc.args[0], err)
			}
			cmd := exec.Command(tc.args[0], tc.args[1:]...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			_ = cmd.Wait()
			var sawFork, sawExec, sawExit bool
			deadline := time.Now().Add(10 * time.Second)
			for !sawExit && time.Now().Before(deadline) {
				ev, err := c.Read()
				if err == unix.EAGAIN {
					fds := []unix.PollFd{{Fd: int32(c.Fd()), Events: unix.POLLIN}}
					_, _ = unix.Poll(fds, 200)
					continue
				}
				if err == ErrOverrun {
					t.Logf("events lost; going on")
					continue
				}
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				if ev.Tgid != pid {
					continue
				}
				switch ev.What {
				case Fork:
					if ev.Pid == pid {
						sawFork = true
						if ev.ParentTgid != os.Getpid() {
							t.Errorf("fork of %d: parent tgid %d, want %d", pid, ev.ParentTgid, os.Getpid())
						}
						if ev.Timestamp == 0 {
							t.Errorf("fork of %d without a timestamp", pid)
						}
					}
				case Exec:
					sawExec = true
				case Exit:
					if ev.Pid != pid {
						continue // another thread of it
					}
					if !sawFork {
						t.Errorf("exit of %d before its fork", pid)
					}
					sawExit = true
					ws := unix.WaitStatus(ev.ExitCode)
					if !ws.Exited() || ws.ExitStatus() != tc.code {
						t.Errorf("exit of %d: wait status %#x, want exited %d", pid, ev.ExitCode, tc.code)
					}
				}
			}
			if !sawFork || !sawExit {
				t.Fatalf("pid %d: saw fork %t, exec %t, exit %t; want fork and exit", pid, sawFork, sawExec, sawExit)
			}
			if !sawExec {
				t.Errorf("pid %d: no exec event", pid)
			}
		})
	}
}
