package holder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/terms"
)

// Adopt makes the caller the holder of the orphaned contract job.Terms.Adopt
// (its own, or any as root): it goes on with the terms the contract was
// created with and returns when the contract is empty, with the command's
// status. It is refused, with the reason, for a contract that has a holder,
// for another user's contract and for an unknown id.
//
// An adopted contract is not restarted: its command's environment is not
// kept anywhere, so it could not be started the same way again.
func Adopt(ctx context.Context, job Job) int {
	h := &holder{ctx: ctx, job: job, rep: newReporter(job.Report, job.Terms.Verbosity)}
	id := job.Terms.Adopt
	state, err := registry.StateDir()
	if err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	entry, err := registry.Find(registry.Dirs(state), id)
	if err != nil {
		if errors.Is(err, registry.ErrNoContract) && os.Geteuid() != 0 {
			err = fmt.Errorf("%w (or it is another user's)", err)
		}
		h.rep.errorf("cannot adopt: %v", err)
		return ExitInternal
	}
	if entry.State != registry.Orphaned && entry.State != registry.Inherited {
		h.rep.errorf("cannot adopt contract %d: it is %s by ctrun pid %d", id, entry.State, entry.Holder.Pid)
		return ExitInternal
	}
	t, err := terms.FromRecord(entry.Terms.Informative, entry.Terms.Fatal, "contract", entry.Terms.Options)
	if err != nil {
		h.rep.errorf("cannot adopt contract %d: its record: %v", id, err)
		return ExitInternal
	}
	t.Verbosity, t.EventLog, t.FMRI, t.Aux = job.Terms.Verbosity, job.Terms.EventLog, entry.FMRI, entry.Aux
	h.job.Terms = t
	h.job.Argv = entry.Command
	if len(h.job.Argv) > 0 {
		h.job.Path = h.job.Argv[0]
	}
	inst, info, err := runtime.Adopt(entry.Dir.EndpointPath(id), id, entry.Cgroups)
	if err != nil {
		if errors.Is(err, runtime.ErrHeld) {
			err = fmt.Errorf("contract %d has a holder", id)
		}
		h.rep.errorf("cannot adopt: %v", err)
		return ExitInternal
	}
	if err := h.setup(); err != nil {
		giveBack(inst, entry.Dir, id)
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	defer h.close()
	// The record stays where it is (root may adopt a user's contract).
	h.reg = entry.Dir
	c := &contract{h: h, run: 1, inst: inst, res: result{exit: -1, id: id}, adopted: true, buf: make([]byte, 64<<10)}
	if err := c.takeOver(&entry.Record, info); err != nil {
		giveBack(inst, entry.Dir, id)
		h.rep.errorf("cannot adopt contract %d: %v", id, err)
		return ExitInternal
	}
	h.rep.act(id, "adopt", "adopted: this ctrun now holds contract %d", id)
	c.hold()
	c.finish()
	if c.res.exit >= 0 {
		return c.res.exit
	}
	return c.res.status()
}

// takeOver records the new holder and follows the members already there.
func (c *contract) takeOver(rec *registry.Record, info runtime.Adopted) error {
	h := c.h
	id := c.res.id
	rec.Holder = registry.Self()
	rec.Watch = h.watchPath()
	if err := h.reg.Write(rec); err != nil {
		return err
	}
	if owner, ok := dirOwner(string(h.reg)); ok && owner != os.Geteuid() {
		// Keep the record the directory owner's, or it would be refused.
		_ = os.Lchown(h.reg.Path(id), owner, -1)
	}
	if h.tracer.ready() {
		if dev, ino, err := c.inst.PidNamespace(); err == nil {
			h.tracer.setNamespace(dev, ino)
		}
	}
	c.obs = events.NewObserver(id, id, h.tracer.lookup(), c.inst.CgroupPaths()["memory"], &h.seq)
	if h.nested {
		c.obs.NoProc()
	} else if _, ino, err := c.inst.PidNamespace(); err == nil {
		// Tells members from the processes of sub-contracts.
		c.obs.SetNamespace(ino)
	}
	if len(rec.Command) > 0 {
		c.obs.CommandName = rec.Command[0]
	}
	c.obs.Detail = needsDetail(h.job.Terms)
	c.obs.Adopt(members(id), info.CommandNSPid)
	c.started = true
	if info.Exited {
		c.res.cmd, c.res.haveCmd = info.Status, true
	}
	return nil
}

func dirOwner(dir string) (int, bool) {
	var st unix.Stat_t
	if unix.Lstat(dir, &st) != nil {
		return 0, false
	}
	return int(st.Uid), true
}

// members lists the host pids of the processes in init's PID namespace,
// but the init.
func members(init int) []int {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(init) + "/ns/pid")
	if err != nil {
		return nil
	}
	var out []int
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid == init {
			continue
		}
		if l, err := os.Readlink("/proc/" + de.Name() + "/ns/pid"); err == nil && l == ns {
			out = append(out, pid)
		}
	}
	return out
}

// giveBack lets an adopted contract go again after a failed take-over: its
// init goes on orphaned. Should the contract have ended meanwhile, the
// init left its remains to us (see runtime.Instance.Abandon).
func giveBack(inst *runtime.Instance, dir registry.Dir, id int) {
	if inst.Abandon() {
		inst.Wait()
		dir.Remove(id)
		inst.Destroy()
	}
}
