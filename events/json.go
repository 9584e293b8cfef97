package events

import (
	"encoding/json"
	"time"
)

// Line is one line of the JSON event stream (ctwatch -j, ctrun -E): an
// event, or a notice of the holder's own (an action, lost events). The
// field names are stable; ctwatch(1) documents them.
type Line struct {
	// Ctid is the contract the line is about.
	Ctid int `json:"ctid"`
	// Evid numbers the holder's events (0 for notices).
	Evid int64 `json:"evid,omitempty"`
	// Type is the event (core, signal, hwerr, exit, fork, empty) or, for a
	// notice, "action" or "lost".
	Type string `json:"type"`
	// Critical: the event is in the contract's fatal set.
	Critical bool   `json:"critical"`
	Time     string `json:"time"`
	// Summary is the one-line text -v prints.
	Summary string `json:"summary"`

	Pid      int    `json:"pid,omitempty"`
	NSPid    int    `json:"nspid,omitempty"`
	Comm     string `json:"comm,omitempty"`
	Ppid     int    `json:"ppid,omitempty"`
	Pgid     int    `json:"pgid,omitempty"`
	Status   *int   `json:"wait_status,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	Signo    int    `json:"signo,omitempty"`
	SiCode   *int32 `json:"si_code,omitempty"`
	// Sender is who sent the fatal signal: member, holder, outside,
	// kernel, oom, inferred (unprivileged: no member sent it), unknown.
	Sender      string `json:"sender,omitempty"`
	SenderPid   int    `json:"sender_pid,omitempty"`
	SenderNSPid int    `json:"sender_nspid,omitempty"`
	SenderComm  string `json:"sender_comm,omitempty"`

	// Action is what the holder did (notices): kill, kill_group, stop,
	// pause, restart, give_up.
	Action string `json:"action,omitempty"`
	// NewCtid is the contract of the next run (restart).
	NewCtid int `json:"new_ctid,omitempty"`
	// Lost counts events a slow reader missed ("lost").
	Lost int `json:"lost,omitempty"`
}

var senderNames = map[SenderKind]string{
	SenderUnknown: "unknown", SenderMember: "member", SenderHolder: "holder",
	SenderOutside: "outside", SenderKernel: "kernel", SenderOOM: "oom",
	SenderInferred: "inferred",
}

// Line is the event as a stream line.
func (e Event) Line(critical bool) Line {
	l := Line{
		Ctid: e.Contract, Evid: e.Seq, Type: e.Kind.String(), Critical: critical,
		Time: e.Time.UTC().Format(time.RFC3339Nano), Summary: e.Summary(),
		Pid: e.Pid, NSPid: e.NSPid, Comm: e.Comm, Ppid: e.Parent, Pgid: e.Pgid,
	}
	if e.Pid != 0 && (e.Status != 0 || e.Kind.String() == "exit") {
		st := int(e.Status)
		l.Status = &st
		if e.Status.Exited() {
			code := e.Status.ExitStatus()
			l.ExitCode = &code
		}
	}
	if e.Sig != 0 {
		l.Signal, l.Signo = SignalName(e.Sig), int(e.Sig)
		code := e.Code
		l.SiCode = &code
		l.Sender = senderNames[e.Sender.Kind]
		l.SenderPid, l.SenderNSPid, l.SenderComm = e.Sender.Pid, e.Sender.NSPid, e.Sender.Comm
	}
	return l
}

// Notice is a line about the holder's own action.
func Notice(ctid int, action, summary string) Line {
	return Line{Ctid: ctid, Type: "action", Action: action, Summary: summary, Time: time.Now().UTC().Format(time.RFC3339Nano)}
}

// JSON is the line, newline-terminated.
func (l Line) JSON() []byte {
	b, _ := json.Marshal(l)
	return append(b, '\n')
}
