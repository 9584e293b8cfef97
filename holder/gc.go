package holder

import "runtime/debug"

// heldGCPercent is the holder's GOGC while it holds a contract: the heap
// may grow by a quarter of what is live before it is collected, and the
// collector's floor, 4 MiB at the default 100, is 1 MiB.
const heldGCPercent = 25

// collectOften lowers the collector's target for as long as a contract
// is held, and returns what puts it back. Each event of a busy contract
// (a fork, an exit: the report line, the JSON for -E and ctwatch, the
// /proc reads) leaves a few kilobytes of garbage; at the default target
// the heap grows to the 4 MiB floor before the first collection, and the
// holder's VmRSS with it, about 1.3 MiB above its size a thousand forks
// in, never returned while the contract runs (make soak). At 25 the heap
// stays within about a megabyte of what is live, for a few more
// collections of a heap of some hundred kilobytes. The making of the
// first contract keeps the default: it allocates in a burst, and
// trimMemory returns what it left (for a next instance made ahead, while
// a contract is held, too).
func collectOften() (restore func()) {
	old := debug.SetGCPercent(heldGCPercent)
	return func() { debug.SetGCPercent(old) }
}
