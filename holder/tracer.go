package holder

import (
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/events"
	"github.com/ctrun/ctrun/events/sigtrace"
)

// tracerHandle loads the BPF signal tracer in the background (root only):
// it takes a few milliseconds, which overlap with making the contract.
// When it cannot be had, ready is false and contracts learn of members'
// signals from their init instead.
type tracerHandle struct {
	once sync.Once
	done chan struct{}
	t    *sigtrace.Tracer
	err  error
}

func openTracer() *tracerHandle {
	h := &tracerHandle{done: make(chan struct{})}
	if sigtrace.Available() != nil {
		close(h.done)
		return h
	}
	go func() {
		// Loading takes CPU (the BTF scan, the verifier) while
		// libcontainer's processes make the contract, which must come
		// first: on a thread of its own at the lowest priority, it
		// uses what they leave. The thread ends with the goroutine.
		runtime.LockOSThread()
		_ = unix.Setpriority(unix.PRIO_PROCESS, 0, 19)
		h.t, h.err = sigtrace.Open()
		close(h.done)
	}()
	return h
}

// ready waits for the tracer and says whether it is there.
func (h *tracerHandle) ready() bool {
	<-h.done
	return h.t != nil
}

// keepsNames says whether the tracer keeps the names execs give.
func (h *tracerHandle) keepsNames() bool { return h.ready() && h.t.KeepsNames() }

func (h *tracerHandle) setNamespace(dev, ino uint64) {
	if h.ready() {
		_ = h.t.SetNamespace(dev, ino)
	}
}

// lookup adapts the tracer to what events.Observer asks (nil without one).
func (h *tracerHandle) lookup() events.Tracer {
	if !h.ready() {
		return nil
	}
	return bpfLookup{h.t}
}

func (h *tracerHandle) close() {
	if h.ready() {
		h.t.Close()
	}
}

type bpfLookup struct{ t *sigtrace.Tracer }

func (b bpfLookup) Name(tgid int) (string, bool) { return b.t.Name(tgid) }

func (b bpfLookup) Lookup(tgid, sig int) (events.Traced, bool) {
	o, ok := b.t.Lookup(tgid, sig)
	if !ok || o.Kind == sigtrace.KindUnknown {
		return events.Traced{}, false
	}
	return events.Traced{
		Kernel:     o.Kind == sigtrace.KindKernel,
		Code:       o.Code,
		SenderTgid: o.SenderTgid,
		InContract: o.InContract,
		When:       uint64(o.When),
	}, true
}
