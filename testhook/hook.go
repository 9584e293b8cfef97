// Package testhook lets the integration tests kill a holder, or its
// contract's init, at a named point of its work: the start, a restart's
// teardown, a hand-over, an adoption. A holder must leave either a listed
// contract or nothing that the next ctstat does not collect, whatever the
// instant it dies at (test/leaks_test.go); sweeping delays finds few of
// the narrow windows, named points find each.
//
// The hooks exist only in binaries built with the build tag
// ctrun_testhooks; in every other build Reached does nothing and costs
// nothing.
package testhook

// KillEnv names, in a test build's environment, the point at which the
// holder SIGKILLs itself ("point"), or its contract's init ("point:init").
const KillEnv = "CTRUN_TESTHOOK_KILL"

// StopEnv names the point at which the holder sends itself SIGTERM, as a
// user's stop arriving just then, and goes on.
const StopEnv = "CTRUN_TESTHOOK_STOP"

// Points, in the order a holder passes them.
const (
	// Claimed: the claim on the instance is written, nothing is made.
	Claimed = "claimed"
	// LibcontainerState: libcontainer's state directory is written.
	LibcontainerState = "lc-state"
	// InitWaiting: the cgroups are made and libcontainer's init waits
	// for its exec FIFO.
	InitWaiting = "init-waiting"
	// InitMade: our init runs and waits for the go.
	InitMade = "init-made"
	// Started: the record is written and the command told to go.
	Started = "started"
	// HandOver: a restarted contract runs; the sub-contracts of the
	// failed one are about to be handed over (-t).
	HandOver = "handover"
	// Teardown: a contract is over, its init reaped; what it made is
	// about to be removed (before a restart, or before ctrun returns).
	Teardown = "teardown"
	// Destroying: the instance's cgroups and libcontainer state are
	// removed, its rootfs and claim not yet.
	Destroying = "destroying"
	// Adopted: an adopter wrote itself into the record as the holder.
	Adopted = "adopted"
)

// InitTarget is the suffix of KillEnv's value that names the init.
const InitTarget = ":init"
