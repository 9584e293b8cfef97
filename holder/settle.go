package holder

import "runtime/debug"

// settle returns to the system what the contract just over left on the
// heap. A holder is left running for months, restarting its command: each
// contract's making (libcontainer's configuration, the init's files, the
// observer) leaves garbage that the collector would otherwise only take
// once the heap has doubled from its 4 MiB floor, so the holder's size
// would wander by megabytes between restarts. Collected at each restart,
// its VmRSS is the same after every one (make soak). The collection runs
// beside the making of the next contract, not before it: the restart
// waits for it no longer.
func settle() { go debug.FreeOSMemory() }
