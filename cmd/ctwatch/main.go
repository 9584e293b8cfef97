// Command ctwatch prints the events of contracts as they happen: of the
// contracts named, or of all the caller's contracts (also those started
// later). See ctwatch(1).
//
// Events come from each contract's holder (the ctrun that holds it), which
// streams them on its watch socket; a reader never slows a contract down:
// too slow, it loses events and is told how many. Because the stream is the
// holder's, ctwatch follows a contract across restarts (new ids) and says
// so.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/getopt"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/stream"
)

const usage = "usage: ctwatch [-f] [-r] [-v] [-j] [ctid...]"

// options are ctwatch's command line.
type options struct {
	replay, reliable, verbose, json bool
	ids                             []int
}

func main() {
	// ctwatch is left attached for as long as the contracts it follows
	// run: weeks. It looks for new holders four times a second (reading
	// the state directory and, for root, /proc), which makes garbage the
	// collector would let grow to its 4 MiB floor before taking; a lower
	// target keeps ctwatch at its working size (make soak) for a few
	// more collections of a heap of some hundred kilobytes.
	debug.SetGCPercent(gcPercent)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is ctwatch's GOGC: the heap may grow by a quarter of what is
// live before it is collected.
const gcPercent = 25

func run(args []string, stdout, stderr io.Writer) int {
	if what := getopt.Long(args, optstring, "help", "version"); what != "" {
		return answer(what, stdout, stderr)
	}
	o, err := parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "ctwatch: %v\n%s\n", err, usage)
		return 2
	}
	if o.reliable && os.Geteuid() != 0 {
		fmt.Fprintf(stderr, "ctwatch: -r (reliable delivery) is for root only\n%s\n", usage)
		return 2
	}
	state, err := registry.StateDir()
	if err != nil {
		fmt.Fprintf(stderr, "ctwatch: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	dirs := registry.Dirs(state)
	// What killed holders and dead contracts left goes first.
	_ = registry.Sweep(dirs)
	w := &watch{opts: o, out: stdout, errw: stderr, state: state, dirs: dirs, holders: map[string]bool{}, refused: map[string]bool{}, follow: map[int]bool{}, told: map[int]bool{}}
	return w.run(ctx)
}

func parse(args []string) (options, error) {
	var o options
	opts, operands, err := getopt.Parse(args, optstring)
	if err != nil {
		return o, err
	}
	for _, op := range opts {
		switch op.Letter {
		case 'f':
			o.replay = true
		case 'r':
			o.reliable = true
		case 'v':
			o.verbose = true
		case 'j':
			o.json = true
		}
	}
	for _, a := range operands {
		id, err := strconv.Atoi(a)
		if err != nil || id <= 0 {
			return o, fmt.Errorf("invalid contract id %q", a)
		}
		o.ids = append(o.ids, id)
	}
	return o, nil
}

// watch is one ctwatch run.
type watch struct {
	opts options
	out  io.Writer
	errw io.Writer
	// state is the caller's state directory; dirs are those to read, the
	// users' too for root (found again on every look: a user's first
	// contract may start after ctwatch).
	state string
	dirs  []registry.Dir

	mu      sync.Mutex
	holders map[string]bool // watch sockets connected to
	refused map[string]bool // watch sockets that are not their holder's (said once)
	follow  map[int]bool    // contracts followed (named ones, and their restarts)
	told    map[int]bool    // contracts already said to have no holder
}

func (w *watch) run(ctx context.Context) int {
	all := len(w.opts.ids) == 0
	for _, id := range w.opts.ids {
		w.follow[id] = true
	}
	if !all {
		found := 0
		for _, id := range w.opts.ids {
			if _, err := registry.Find(w.dirs, id); err != nil {
				fmt.Fprintf(w.errw, "ctwatch: %v\n", err)
				continue
			}
			found++
		}
		if found == 0 {
			return 1
		}
	}
	if !w.opts.json {
		w.printHeader()
	}
	// Look for holders now and then: contracts started (or adopted)
	// later are followed too.
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		live := w.connect(ctx, all)
		if !all && live == 0 && w.connected() == 0 {
			return 0 // every named contract is over
		}
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
	}
}

func (w *watch) connected() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, on := range w.holders {
		if on {
			n++
		}
	}
	return n
}

// connect starts reading every holder of a followed contract not yet read.
// It returns how many followed contracts are still alive.
func (w *watch) connect(ctx context.Context, all bool) int {
	w.dirs = registry.Dirs(w.state)
	es, _ := registry.List(w.dirs, registry.ListOptions{})
	live := 0
	for _, e := range es {
		w.mu.Lock()
		followed := all || w.follow[e.ID]
		w.mu.Unlock()
		if !followed || e.State == registry.Dead {
			continue
		}
		live++
		if e.Watch == "" || e.State != registry.Owned {
			w.mu.Lock()
			if !w.told[e.ID] {
				w.told[e.ID] = true
				fmt.Fprintf(w.errw, "ctwatch: contract %d has no holder: its events are not reported until it is adopted (ctrun -a %d)\n", e.ID, e.ID)
			}
			w.mu.Unlock()
			continue
		}
		w.mu.Lock()
		seen := w.holders[e.Watch]
		if !seen {
			w.holders[e.Watch] = true
		}
		w.mu.Unlock()
		if !seen {
			// The holder as seen here (0: outside the caller's view,
			// as the holder of the contract ctwatch runs in).
			go w.read(ctx, e.Watch, e.HolderPid(), e.Dir.Owner(), all)
		}
	}
	return live
}

// read follows one holder's stream until it ends. The socket must be the
// holder's, pid, and owned by the record's owner (stream.Dial): root never
// writes to a socket a user merely named in a record.
func (w *watch) read(ctx context.Context, path string, pid, owner int, all bool) {
	defer func() {
		w.mu.Lock()
		w.holders[path] = false
		w.mu.Unlock()
	}()
	c, err := stream.Dial(path, pid, owner, time.Now().Add(time.Second))
	if c == nil {
		if err != nil {
			w.mu.Lock()
			if !w.refused[path] {
				w.refused[path] = true
				fmt.Fprintf(w.errw, "ctwatch: %v\n", err)
			}
			w.mu.Unlock()
		}
		return
	}
	defer c.Close()
	// The stream ends when the holder goes (or hangs up on us): nothing
	// more to say, the next look finds its successor if there is one.
	_ = stream.Watch(ctx, c, stream.WatchOptions{Replay: w.opts.replay, Reliable: w.opts.reliable}, func(l events.Line, raw []byte) {
		w.show(l, raw, all)
	})
}

// show prints a line of a followed contract.
func (w *watch) show(l events.Line, raw []byte, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lost := stream.IsLost(l)
	if lost {
		fmt.Fprintf(w.errw, "ctwatch: %d events lost: too slow to keep up\n", l.Lost)
	}
	if !all && !lost && !w.follow[l.Ctid] {
		return
	}
	if l.Action == "restarted" && l.NewCtid != 0 {
		// Same command, new contract: keep following it. The contract
		// that restarted is over, and ids are reused: it is followed no
		// more (nor kept, for a month of restarts).
		w.follow[l.NewCtid] = true
		if !all {
			delete(w.follow, l.Ctid)
			delete(w.told, l.Ctid)
		}
	}
	if w.opts.json {
		w.out.Write(append(append([]byte{}, raw...), '\n'))
		return
	}
	crit := "info"
	if l.Critical {
		crit = "crit"
	}
	evid := "-"
	if l.Evid > 0 {
		evid = strconv.FormatInt(l.Evid, 10)
	}
	summary := l.Summary
	if l.Action == "restarted" {
		summary = fmt.Sprintf("restarted: the command now runs in contract %d (following it)", l.NewCtid)
	}
	fmt.Fprintf(w.out, "%-7d %-7s %-4s %-7s %s\n", l.Ctid, evid, crit, l.Type, summary)
	if w.opts.verbose {
		fmt.Fprintf(w.out, "        %s\n", details(raw))
	}
}

func (w *watch) printHeader() {
	fmt.Fprintf(w.out, "%-7s %-7s %-4s %-7s %s\n", "CTID", "EVID", "CRIT", "TYPE", "SUMMARY")
}

// details lists every field of the line, key=value, in a stable order.
func details(raw []byte) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "summary" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%v", k, m[k])
	}
	return b.String()
}
