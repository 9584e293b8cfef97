package holder

import "runtime/debug"

// settle returns to the system what the contract just over left on the
// heap, before the next is made. A holder is left running for months,
// restarting its command: each contract's making (libcontainer's
// configuration, the init's files, the observer) leaves garbage that the
// collector would otherwise only take once the heap has doubled from its
// 4 MiB floor, so the holder's size would wander by megabytes between
// restarts. Collected here, between contracts, where nothing waits on the
// holder, its VmRSS is the same after every restart (make soak). The cost,
// a collection of a heap of about a megabyte, is small beside a restart's.
func settle() { debug.FreeOSMemory() }
