package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// manyMarker is the background sleep of every command of the many
// scenario: it keeps an orphaned contract alive a while after its holder
// was killed, and names the run's processes.
const manyMarker = "sleep 17.3"

// manyConfig is the many scenario's plan.
type manyConfig struct {
	contracts int           // holders running at once
	duration  time.Duration // how long they crash, restart and are killed
	killEvery time.Duration // the mean time between two holder kills
	samplers  int           // ctstat listings taken at once
	uid       int           // the user they run as (-1: the caller)
	seed      uint64
}

// many: n holders, each restarting a command that crashes every 1 to 3
// s (ctrun -v -r 0 -f core), for the duration; a holder is SIGKILLed at
// random (exponential intervals around killEvery), and a new one started
// in its place, a third of those killed again 0 to 100 ms into their
// start. Throughout, ctstat listings (several at once) are checked
// against the process table (samples.check); at the end every holder is killed, every surviving contract
// must be listed as orphaned, and after ctkill -s KILL of each and one
// ctstat -a nothing may be left: no process, cgroup, mount or state file.
func (s soak) many(c manyConfig) error {
	r := &manyRun{soak: s, cfg: c, rng: rand.New(rand.NewPCG(c.seed, c.seed^0x9e3779b97f4a7c15)),
		exits: make(chan holderExit, c.contracts), slots: make([]*manyHolder, c.contracts)}
	who := "the caller"
	if c.uid >= 0 {
		who = fmt.Sprintf("uid %d", c.uid)
	}
	fmt.Printf("== many: %d holders (ctrun -v -r 0 -f core, a crash every 1-3 s) for %v as %s, a holder SIGKILLed every %v on average, %d ctstat at once, seed %d\n",
		c.contracts, c.duration, who, c.killEvery, c.samplers, c.seed)
	if c.uid >= 0 && c.uid != os.Geteuid() && os.Geteuid() != 0 {
		return fmt.Errorf("-uid %d needs root", c.uid)
	}
	r.state = r.stateDir()
	r.m = newMachine(s.bin, manyMarker, r.state)
	if left := r.m.left(); len(left) > 0 {
		return fmt.Errorf("not clean before the run: %s", strings.Join(left, "; "))
	}
	return r.run()
}

// manyRun is one run of the many scenario.
type manyRun struct {
	soak
	cfg   manyConfig
	state string
	m     *machine
	rng   *rand.Rand // the holder kills' times, slots and delays

	mu       sync.Mutex
	slots    []*manyHolder
	stopping bool
	exits    chan holderExit
	figs     manyFigures
}

// manyFigures are the run's counts.
type manyFigures struct {
	started, killed, killedStarting int
	made, restarts                  int // first contracts held, restarts made
	selfEnded                       []string
}

// manyHolder is one holder of the run.
type manyHolder struct {
	slot   int
	cmd    *exec.Cmd
	killed bool     // by the run
	last   []string // its last report lines
}

// holderExit is a holder gone, and how.
type holderExit struct {
	h   *manyHolder
	err error
}

// stateDir is the directory the run's user's contracts are recorded in,
// as registry.StateDir chooses it for that user: /run/ctrun for root
// (/tmp/ctrun-0 where /run cannot be written), /tmp/ctrun-UID for anyone
// else.
func (r *manyRun) stateDir() string {
	uid := r.cfg.uid
	if uid < 0 {
		uid = os.Geteuid()
	}
	if uid != 0 {
		return fmt.Sprintf("/tmp/ctrun-%d", uid)
	}
	if syscall.Access("/run", 2) == nil {
		return "/run/ctrun"
	}
	return "/tmp/ctrun-0"
}

// command makes a command of the run's user.
func (r *manyRun) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}
	cmd.Dir = "/"
	if r.cfg.uid >= 0 && r.cfg.uid != os.Geteuid() {
		u := uint32(r.cfg.uid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u, Gid: u, Groups: []uint32{}}}
	}
	return cmd
}

func (r *manyRun) run() error {
	var smp samples
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	start := time.Now()
	for i := range r.slots {
		if err := r.startHolder(i, false); err != nil {
			r.end()
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Several listings at once: on a loaded machine one takes seconds,
	// and concurrent ctstat collections are part of what is tried.
	for i := 0; i < r.cfg.samplers; i++ {
		sampled.Go(func() {
			for d := time.Duration(i) * time.Second; ; d = 200 * time.Millisecond {
				select {
				case <-stop:
					return
				case <-time.After(d):
				}
				smp.take(r, false)
			}
		})
	}
	deadline := time.After(r.cfg.duration)
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	kill := time.NewTimer(r.nextKill())
loop:
	for {
		select {
		case <-deadline:
			break loop
		case <-progress.C:
			r.progress(time.Since(start), &smp)
		case <-kill.C:
			r.killOne()
			kill.Reset(r.nextKill())
		case e := <-r.exits:
			r.ended(e)
		}
	}
	kill.Stop()
	close(stop)
	sampled.Wait()
	r.progress(time.Since(start), &smp)
	r.end()
	return r.finish(&smp)
}

// nextKill is the time to the next holder kill.
func (r *manyRun) nextKill() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Duration(r.rng.ExpFloat64() * float64(r.cfg.killEvery))
}

// startHolder starts the holder of slot i; killStarting kills it again
// 0 to 100 ms later, while it makes its first contract.
func (r *manyRun) startHolder(i int, killStarting bool) error {
	r.mu.Lock()
	run := 1 + 2*r.rng.Float64()
	delay := time.Duration(r.rng.Int64N(int64(100 * time.Millisecond)))
	r.mu.Unlock()
	script := fmt.Sprintf("%s & sleep %.2f; kill -SEGV $$", manyMarker, run)
	cmd := r.command(r.ctrun, "-v", "-r", "0", "-f", "core", "sh", "-c", script)
	// The report's pipe is the command's stderr too: it is read to its
	// end, which an orphaned contract may hold off long after its holder
	// was killed, while the holder's end is waited for on its own.
	rd, wr, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stderr = wr
	err = cmd.Start()
	wr.Close()
	if err != nil {
		rd.Close()
		return fmt.Errorf("start holder %d: %w", i, err)
	}
	h := &manyHolder{slot: i, cmd: cmd}
	r.mu.Lock()
	r.slots[i] = h
	r.figs.started++
	r.mu.Unlock()
	if killStarting {
		time.AfterFunc(delay, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if !h.killed && r.slots[i] == h {
				h.killed = true
				r.figs.killed++
				r.figs.killedStarting++
				_ = h.cmd.Process.Kill()
			}
		})
	}
	go r.read(h, rd)
	go func() {
		err := cmd.Wait()
		r.exits <- holderExit{h: h, err: err}
	}()
	return nil
}

// read reads a holder's report to its end, counting its contracts and
// restarts, and keeping its last lines.
func (r *manyRun) read(h *manyHolder, rd *os.File) {
	defer rd.Close()
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		l := sc.Text()
		r.mu.Lock()
		switch {
		case heldLine.MatchString(l):
			r.figs.made++
		case restartLine.MatchString(l):
			r.figs.restarts++
		}
		if h.last = append(h.last, l); len(h.last) > 5 {
			h.last = h.last[1:]
		}
		r.mu.Unlock()
	}
}

// killOne SIGKILLs a holder chosen at random.
func (r *manyRun) killOne() {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.slots[r.rng.IntN(len(r.slots))]
	if h == nil || h.killed {
		return
	}
	h.killed = true
	r.figs.killed++
	_ = h.cmd.Process.Kill()
}

// ended takes note of a holder gone and starts another in its place (a
// third of them to be killed while they start).
func (r *manyRun) ended(e holderExit) {
	r.mu.Lock()
	if !e.h.killed {
		r.figs.selfEnded = append(r.figs.selfEnded, fmt.Sprintf("holder %d: %v: %s", e.h.cmd.Process.Pid, e.err, strings.Join(e.h.last, " | ")))
	}
	if r.slots[e.h.slot] == e.h {
		r.slots[e.h.slot] = nil
	}
	stopping := r.stopping
	killStarting := r.rng.IntN(3) == 0
	r.mu.Unlock()
	if stopping {
		return
	}
	if err := r.startHolder(e.h.slot, killStarting); err != nil {
		r.mu.Lock()
		r.figs.selfEnded = append(r.figs.selfEnded, err.Error())
		r.mu.Unlock()
	}
}

// end SIGKILLs every holder left and waits for them all.
func (r *manyRun) end() {
	r.mu.Lock()
	r.stopping = true
	running := 0
	for _, h := range r.slots {
		if h != nil {
			running++
			if !h.killed {
				h.killed = true
				_ = h.cmd.Process.Kill()
			}
		}
	}
	r.mu.Unlock()
	for ; running > 0; running-- {
		r.ended(<-r.exits)
	}
}

// progress prints a line of figures.
func (r *manyRun) progress(at time.Duration, smp *samples) {
	r.mu.Lock()
	f := r.figs
	r.mu.Unlock()
	fmt.Printf("%4.0fs  holders started %d, killed %d (%d starting), contracts made %d (%d restarts); %s\n",
		at.Seconds(), f.started, f.killed, f.killedStarting, f.made+f.restarts, f.restarts, smp.summary())
}
