package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime/mechanism"
)

// contractType is every contract's type: Linux has process contracts only.
const contractType = "process"

// header is the plain listing's header, Solaris' without the columns that
// mean nothing here (zone, queue times).
const header = "CTID    TYPE    STATE   HOLDER  EVENTS"

// write prints one listing and flushes it, so that a repeated listing
// shows at once.
func write(w *bufio.Writer, l listing, o options) error {
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range l.contracts {
			if err := enc.Encode(toJSON(&l.contracts[i])); err != nil {
				return err
			}
		}
		return w.Flush()
	}
	fmt.Fprintln(w, header)
	for i := range l.contracts {
		c := &l.contracts[i]
		fmt.Fprintf(w, "%-7d %-7s %-7s %-7s %d\n", c.ID, contractType, c.State, holderText(c), c.events)
		if o.verbose {
			writeDetails(w, c)
		}
	}
	return w.Flush()
}

// holder is the holder's pid, or 0 when the contract has none: orphaned,
// or dead with its holder gone too.
func holder(c *contract) int {
	switch c.State {
	case registry.Owned:
		return c.Holder.Pid
	case registry.Dead:
		if c.Holder.Alive() {
			return c.Holder.Pid
		}
	}
	return 0
}

func holderText(c *contract) string {
	if pid := holder(c); pid > 0 {
		return strconv.Itoa(pid)
	}
	return "-"
}

// writeDetails prints -v's indented "key: value" lines, Solaris style.
func writeDetails(w *bufio.Writer, c *contract) {
	t := c.Terms
	kv := func(k, v string) { fmt.Fprintf(w, "\t%-23s%s\n", k+":", v) }
	kv("informative event set", setText(t.Informative))
	kv("fatal event set", setText(t.Fatal))
	kv("lifetime", orDash(t.Lifetime))
	kv("parameter set", setText(t.Options))
	kv("restart count", restartText(t))
	kv("transfer", yesNo(t.Transfer))
	kv("held by", held(c).Short())
	kv("member processes", membersText(c.members))
	kv("inherited contracts", idsText(c.inherited))
	if c.State == registry.Inherited {
		kv("inherited by", "contract "+strconv.Itoa(c.Parent))
	}
	kv("service fmri", orDash(c.FMRI))
	kv("contract aux", orDash(c.Aux))
	kv("creator uid", strconv.Itoa(c.UID))
	kv("creator command", commandText(c.Argv))
	kv("command", commandText(c.Command))
	kv("start time", timeText(c.Started))
}

// set drops the "none" that records write for an empty set: JSON shows
// an empty set as [].
func set(names []string) []string {
	out := []string{}
	for _, n := range names {
		if n != "none" && n != "" {
			out = append(out, n)
		}
	}
	return out
}

// setText prints a set as Solaris does: names separated by spaces, or
// "none".
func setText(names []string) string {
	s := set(names)
	if len(s) == 0 {
		return "none"
	}
	for i := range s {
		s[i] = printable(s[i])
	}
	return strings.Join(s, " ")
}

// restartText: "none" without -r, "unlimited" for -r 0, else the count.
func restartText(t registry.Terms) string {
	switch {
	case !t.Restart:
		return "none"
	case t.Restarts == 0:
		return "unlimited"
	}
	return strconv.Itoa(t.Restarts)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// membersText prints members as host pids with their pids inside the
// contract beside them: "4321 (7) 4330 (9)".
func membersText(ms []member) string {
	if len(ms) == 0 {
		return "none"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%d (%d)", m.Pid, m.NSPid)
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}

// safeWord is an argument that reads the same unquoted in a shell.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_./:=,@%+^-]+$`)

// commandText prints a command line so that it can be read back: plain
// words as they are, others in single quotes, and anything with control
// characters Go-quoted (nothing a record holds reaches the terminal raw).
func commandText(argv []string) string {
	if len(argv) == 0 {
		return "-"
	}
	parts := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case safeWord.MatchString(a):
			parts[i] = a
		case isPrintable(a):
			parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		default:
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

// printable shows s as is when every character prints, Go-quoted
// otherwise: a record is its writer's text, and root reads other users'.
func printable(s string) string {
	if isPrintable(s) {
		return s
	}
	return strconv.Quote(s)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// timeText shows the recorded start time in local time, or as recorded
// when it does not parse.
func timeText(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return orDash(s)
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// jsonContract is -j's object. Field names are part of the interface
// (ctstat(1)); every field is always present.
type jsonContract struct {
	ID           int      `json:"id"`
	Type         string   `json:"type"`
	State        string   `json:"state"`
	Holder       *int     `json:"holder"`
	EventsQueued int      `json:"events_queued"`
	Informative  []string `json:"informative"`
	Fatal        []string `json:"fatal"`
	Lifetime     string   `json:"lifetime"`
	Options      []string `json:"options"`
	Restart      bool     `json:"restart"`
	RestartCount int      `json:"restart_count"`
	Transfer     bool     `json:"transfer"`
	Members      []member `json:"members"`
	Inherited    []int    `json:"inherited"`
	// Parent is the contract this one was made from (0: none); it holds
	// the contract when its state is inherited.
	Parent  int      `json:"parent"`
	FMRI    string   `json:"fmri"`
	Aux     string   `json:"aux"`
	Creator creator  `json:"creator"`
	Started string   `json:"started"`
	Command []string `json:"command"`
	// Held is how the contract is held (see package mechanism).
	Held mechanism.Mechanism `json:"held"`
}

type creator struct {
	UID  int      `json:"uid"`
	Argv []string `json:"argv"`
}

func toJSON(c *contract) jsonContract {
	j := jsonContract{
		ID:           c.ID,
		Type:         contractType,
		State:        string(c.State),
		EventsQueued: c.events,
		Informative:  set(c.Terms.Informative),
		Fatal:        set(c.Terms.Fatal),
		Lifetime:     c.Terms.Lifetime,
		Options:      set(c.Terms.Options),
		Restart:      c.Terms.Restart,
		RestartCount: c.Terms.Restarts,
		Transfer:     c.Terms.Transfer,
		Members:      c.members,
		Inherited:    orNone(c.inherited),
		Parent:       c.Parent,
		FMRI:         c.FMRI,
		Aux:          c.Aux,
		Creator:      creator{UID: c.UID, Argv: orEmpty(c.Argv)},
		Started:      c.Started,
		Command:      orEmpty(c.Command),
		Held:         held(c),
	}
	if pid := holder(c); pid > 0 {
		j.Holder = &pid
	}
	if j.Members == nil {
		j.Members = []member{}
	}
	return j
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func idsText(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return strings.Join(out, " ")
}

func orNone(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

// held is how c is held, as its record says; a record written before
// there was a choice was held by a PID namespace of its own.
func held(c *contract) mechanism.Mechanism {
	if c.Held != nil {
		return *c.Held
	}
	m := mechanism.Mechanism{Holding: mechanism.Namespace, Cgroup: mechanism.NoCgroup, Events: mechanism.Connector, Senders: mechanism.None}
	if len(c.Cgroups) > 0 {
		m.Cgroup = mechanism.CgroupV1
	}
	return m
}
