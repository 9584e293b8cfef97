package holder

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/terms"
	"github.com/ctrun/ctrun/testhook"
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
	h := newHolder(ctx, job)
	id := job.Terms.Adopt
	grace, err := terms.Grace(job.Terms, os.Getenv)
	if err != nil {
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	h.grace = grace
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
	if entry.Inside {
		// Its init, and what the holder would follow, are known here by
		// other pids than the host pids a holder works with.
		h.rep.errorf("cannot adopt contract %d from inside a contract: adopt it from the host (ctrun -a %d there)", id, id)
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
	t.Grace, t.GraceSet = job.Terms.Grace, job.Terms.GraceSet
	h.job.Terms = t
	h.job.Argv = entry.Command
	if len(h.job.Argv) > 0 {
		h.job.Path = h.job.Argv[0]
	}
	inst, info, err := runtime.Adopt(entry.Dir.EndpointPath(id), id, entry.Cgroups, entry.Subtree(), entry.Claim)
	if err != nil {
		if errors.Is(err, runtime.ErrHeld) {
			err = fmt.Errorf("contract %d has a holder", id)
		}
		h.rep.errorf("cannot adopt: %v", err)
		return ExitInternal
	}
	h.base = heldBy(&entry.Record)
	if err := h.setup(); err != nil {
		giveBack(inst, entry.Dir, id)
		h.rep.errorf("%v", err)
		return ExitInternal
	}
	h.mech = h.mechanism()
	defer h.close()
	// The record stays where it is (root may adopt a user's contract).
	h.reg = entry.Dir
	c := newContract(h, 1, inst, id)
	if err := c.takeOver(entry, info); err != nil {
		giveBack(inst, entry.Dir, id)
		h.rep.errorf("cannot adopt contract %d: %v", id, err)
		return ExitInternal
	}
	h.rep.act(id, "adopt", "adopted: this ctrun now holds contract %d", id)
	c.hold()
	c.finish()
	return c.res.status()
}

// takeOver records the new holder and follows the members already there.
// Their making was not seen: the observer's view is partial.
func (c *contract) takeOver(entry *registry.Entry, info runtime.AdoptInfo) error {
	rec := &entry.Record
	h := c.h
	id := c.res.id
	rec.Holder = registry.Self()
	rec.Watch = h.watchPath()
	rec.Grace = h.grace.String()
	if err := h.reg.Write(rec); err != nil {
		return err
	}
	if owner := h.reg.Owner(); owner >= 0 && owner != os.Geteuid() {
		// Keep the record the directory owner's, or it would be refused.
		_ = os.Lchown(h.reg.Path(id), owner, -1)
	}
	testhook.Reached(testhook.Adopted, id)
	c.observe()
	c.partial = true
	c.obs.Adopt(members(entry), info.CommandNSPid)
	if info.Exited {
		c.res.cmd, c.res.haveCmd = info.Status, true
	}
	return c.moveTo(phaseRunning)
}

// members lists the host pids of the contract's members: the processes
// in its init's PID namespace but the init, or, for a contract held
// without one, the init's descendants (never every process of the
// namespace it shares).
func members(e *registry.Entry) []int {
	var pids []int
	for _, m := range registry.Members([]*registry.Entry{e}, procfs.Options{})[e.ID] {
		pids = append(pids, m.Pid)
	}
	return pids
}

// giveBack lets an adopted contract go again after a failed take-over: its
// init goes on orphaned. Should the contract have ended meanwhile, the
// init left its remains to us (see runtime.Instance.Abandon).
func giveBack(inst runtime.Instance, dir registry.Dir, id int) {
	if inst.Abandon() {
		inst.Wait()
		dir.Remove(id)
		inst.Destroy()
	}
}
