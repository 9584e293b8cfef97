package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
	"github.com/ctrun/ctrun/registry"
	"github.com/ctrun/ctrun/runtime"
	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// itself stops a contract nobody holds (orphaned, or inherited: the regent
// contract's holder is not asked, for it holds a contract of its own).
// ctkill takes the contract over through its init's endpoint, as ctrun -a
// does, for the length of the stop: the init then tells it when the
// command has exited (the signal goes on to every member) and when the
// contract is empty, no other holder can take it meanwhile, and the init
// sends every signal from inside (kill(-1): a member forked meanwhile
// cannot escape). Should ctkill die during the stop, the init goes on
// orphaned, as before. The record is left as it is: the contract reads as
// orphaned until it has ended.
//
// It returns left when someone else has become its holder meanwhile: the
// stop is then that holder's to make.
func (s *stopper) itself(e *registry.Entry) (left bool, err error) {
	inst, info, err := runtime.Adopt(e.Dir.EndpointPath(s.id), s.id, e.Cgroups, e.Subtree(), e.Claim)
	if errors.Is(err, runtime.ErrHeld) {
		if e, err = s.again(); err != nil || e == nil {
			return false, err
		}
		if e.State == registry.Owned {
			return true, nil
		}
		return false, s.alongside(e)
	}
	if err != nil {
		// An init whose last member has just gone closes its endpoint
		// on its way out.
		if s.waitInit(time.Second) {
			return false, nil
		}
		return false, failf("contract %d: cannot take it over to stop it: %v", s.id, err)
	}
	// Told when only sub-contracts are left: the contract is then over,
	// though its init stays for them.
	_ = inst.Send(wire.WatchEmpty{}.Message())
	// To the command, or, when it has gone, to every member.
	if err := inst.Signal(s.sig, wire.ScopeCommand, 0); err != nil {
		return false, s.giveBack(inst, e, failf("contract %d: %v", s.id, err))
	}
	cmdGone := info.CommandNSPid == 0 || info.Exited
	killed := false
	deadline := s.deadline(0)
	buf := make([]byte, 64<<10)
	for {
		wait := until(deadline)
		if !killed {
			wait = min(wait, until(s.killAt()))
		}
		if _, err := pollFDs([]int{inst.ControlFD()}, wait); err != nil {
			return false, s.giveBack(inst, e, failf("contract %d: %v", s.id, err))
		}
		for {
			m, _, err := inst.Recv(false, buf)
			if err == unix.EAGAIN {
				break
			}
			if err != nil {
				// The init has gone (the control socket's end).
				return false, s.cleanUp(inst, e)
			}
			v, err := wire.Decode(m)
			if err != nil {
				continue
			}
			switch v.(type) {
			case wire.CommandExited:
				if !cmdGone {
					cmdGone = true
					_ = inst.Signal(s.sig, wire.ScopeAll, 0)
				}
			case wire.Exiting:
				return false, s.cleanUp(inst, e)
			case wire.OwnEmpty:
				return false, s.releaseHusk(inst, e)
			}
		}
		switch {
		case !killed && !time.Now().Before(s.killAt()):
			killed = true
			_ = inst.Signal(unix.SIGKILL, wire.ScopeAll, 0)
		case !time.Now().Before(deadline):
			return false, s.giveBack(inst, e, s.notEmpty("its members outlive SIGKILL"))
		}
	}
}

// cleanUp removes what the ended contract left, as its holder would: the
// init left that to ctkill, which held the contract when it emptied.
func (s *stopper) cleanUp(inst runtime.Instance, e *registry.Entry) error {
	if !s.waitInit(until(s.deadline(0))) {
		return s.giveBack(inst, e, s.notEmpty("its init has not exited"))
	}
	inst.Wait()
	e.Dir.Remove(s.id)
	inst.Destroy()
	registry.RemoveIfEmpty(string(e.Dir))
	return nil
}

// releaseHusk lets go of a contract whose members have all gone but whose
// init stays for its sub-contracts: it cleans up after them, as after a
// husk let go by its holder (holder/finish.go).
func (s *stopper) releaseHusk(inst runtime.Instance, e *registry.Entry) error {
	_ = e.Dir.MarkHusk(s.id)
	if inst.Abandon() {
		return s.cleanUp(inst, e)
	}
	return nil
}

// giveBack lets go of the contract after a failed stop: it goes on
// orphaned (or, should it have ended meanwhile, is cleaned up after).
func (s *stopper) giveBack(inst runtime.Instance, e *registry.Entry, err error) error {
	if inst.Abandon() {
		_ = s.cleanUp(inst, e)
	}
	return err
}

// alongside waits for a contract that another process has taken over
// without being recorded as its holder: another ctkill -S stopping it. As
// a second stop does, it passes the signal on to every member at once,
// and kills what is left after its own grace.
func (s *stopper) alongside(e *registry.Entry) error {
	ep := e.Dir.EndpointPath(s.id)
	if err := runtime.KillAll(ep, s.sig); err != nil && !s.ended() {
		return endpointError(s.id, err)
	}
	killed := false
	deadline := s.deadline(0)
	for {
		wait := until(deadline)
		if !killed {
			wait = min(wait, until(s.killAt()))
		}
		if s.waitInit(wait) {
			return nil
		}
		switch {
		case !killed && !time.Now().Before(s.killAt()):
			killed = true
			_ = runtime.KillAll(ep, unix.SIGKILL)
		case !time.Now().Before(deadline):
			if len(registry.Members([]*registry.Entry{e}, procfs.Options{Live: true})[e.ID]) == 0 {
				return nil // only sub-contracts are left
			}
			return s.notEmpty("another process is stopping it")
		}
	}
}
