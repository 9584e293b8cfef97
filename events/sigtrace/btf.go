package sigtrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// kernelBTFPath is where the running kernel exposes its own type information.
const kernelBTFPath = "/sys/kernel/btf/vmlinux"

// tgidOffset caches the byte offset of task_struct.tgid: it is a property of
// the running kernel, so it is resolved once per process and every later Open
// pays nothing for it.
var tgidOffset struct {
	sync.Mutex
	off   int32
	known bool
}

// taskTgidOffset returns the byte offset of tgid in struct task_struct.
//
// The fast path scans the raw BTF blob directly: cilium/ebpf v0.17 inflates
// every one of the ~150k vmlinux types into Go values, which costs tens of
// milliseconds and tens of MB, far more than a contract start can spare.
// Only when the blob is missing or is in a shape the scanner does not know do
// we fall back to btf.LoadKernelSpec (which also finds vmlinux ELF images).
func taskTgidOffset() (int32, error) {
	tgidOffset.Lock()
	defer tgidOffset.Unlock()
	if tgidOffset.known {
		return tgidOffset.off, nil
	}

	off, err := scanMemberOffset(kernelBTFPath, "task_struct", "tgid")
	if err != nil {
		var err2 error
		off, err2 = specMemberOffset("task_struct", "tgid")
		if err2 != nil {
			return 0, fmt.Errorf("find task_struct.tgid in kernel BTF: %w (fast scan: %v)", err2, err)
		}
	}
	tgidOffset.off, tgidOffset.known = off, true
	return off, nil
}

// specMemberOffset is the slow but general path through cilium/ebpf.
func specMemberOffset(structName, member string) (int32, error) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return 0, err
	}
	var s *btf.Struct
	if err := spec.TypeByName(structName, &s); err != nil {
		return 0, err
	}
	bits, ok := findMemberBits(s.Members, member)
	if !ok {
		return 0, fmt.Errorf("struct %s has no member %s", structName, member)
	}
	if bits%8 != 0 {
		return 0, fmt.Errorf("%s.%s is a bitfield", structName, member)
	}
	return int32(bits / 8), nil
}

// findMemberBits looks through anonymous structs/unions too, since
// randomized or reorganised task_struct layouts may nest members.
func findMemberBits(members []btf.Member, name string) (uint32, bool) {
	for _, m := range members {
		if m.Name == name {
			return uint32(m.Offset), true
		}
		if m.Name != "" {
			continue
		}
		var inner []btf.Member
		switch t := btf.UnderlyingType(m.Type).(type) {
		case *btf.Struct:
			inner = t.Members
		case *btf.Union:
			inner = t.Members
		}
		if off, ok := findMemberBits(inner, name); ok {
			return uint32(m.Offset) + off, true
		}
	}
	return 0, false
}

// BTF kinds, see include/uapi/linux/btf.h.
const (
	kindInt      = 1
	kindPtr      = 2
	kindArray    = 3
	kindStruct   = 4
	kindUnion    = 5
	kindEnum     = 6
	kindFwd      = 7
	kindTypedef  = 8
	kindVolatile = 9
	kindConst    = 10
	kindRestrict = 11
	kindFunc     = 12
	kindFuncProt = 13
	kindVar      = 14
	kindDatasec  = 15
	kindFloat    = 16
	kindDeclTag  = 17
	kindTypeTag  = 18
	kindEnum64   = 19
)

var errScan = errors.New("unexpected BTF layout")

// scanMemberOffset finds the byte offset of member in the (non-forward)
// struct named structName in the raw BTF file at path, without building a
// type graph: one pass records where each type starts, then only the wanted
// struct (and any anonymous struct/union members of it) is decoded.
func scanMemberOffset(path, structName, member string) (int32, error) {
	data, release, err := mapFile(path)
	if err != nil {
		return 0, err
	}
	defer release()
	return scanBTF(data, structName, member)
}

// mapFile maps path read-only, falling back to reading it. Since Linux 6.16
// the vmlinux BTF can be mapped (MAP_PRIVATE only), which saves copying
// 5+ MB through ~1300 page-sized sysfs reads into a fresh Go heap buffer.
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if size := st.Size(); size > 0 && size < 1<<30 {
		if b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE); err == nil {
			return b, func() { _ = unix.Munmap(b) }, nil
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return b, func() {}, nil
}

// scanBTF is scanMemberOffset on a raw BTF blob in memory.
func scanBTF(data []byte, structName, member string) (int32, error) {
	if len(data) < 24 {
		return 0, errScan
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch {
	case data[0] == 0x9f && data[1] == 0xeb:
	case data[0] == 0xeb && data[1] == 0x9f:
		bo = binary.BigEndian
	default:
		return 0, fmt.Errorf("bad BTF magic: %w", errScan)
	}
	hdrLen := bo.Uint32(data[4:])
	typeOff, typeLen := bo.Uint32(data[8:]), bo.Uint32(data[12:])
	strOff, strLen := bo.Uint32(data[16:]), bo.Uint32(data[20:])
	end := func(off, n uint32) uint64 { return uint64(hdrLen) + uint64(off) + uint64(n) }
	if end(typeOff, typeLen) > uint64(len(data)) || end(strOff, strLen) > uint64(len(data)) {
		return 0, fmt.Errorf("BTF sections out of range: %w", errScan)
	}
	ix := &btfIndex{
		bo:     bo,
		types:  data[hdrLen+typeOff : hdrLen+typeOff+typeLen],
		strs:   data[hdrLen+strOff : hdrLen+strOff+strLen],
		starts: make([]uint32, 1, 4096),
	}

	// Stop at the first full definition of the struct: on vmlinux
	// task_struct comes early, and the scan is bound by memory latency.
	target := uint32(0)
	for target == 0 {
		id, err := ix.next()
		if err != nil {
			return 0, err
		}
		if id == 0 {
			return 0, fmt.Errorf("struct %s not found: %w", structName, errScan)
		}
		pos := ix.starts[id]
		info := bo.Uint32(ix.types[pos+4:])
		if (info>>24)&0x1f == kindStruct && info&0xffff > 0 && ix.nameIs(bo.Uint32(ix.types[pos:]), structName) {
			target = id
		}
	}
	bits, ok, err := ix.memberBits(target, member, 0)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("struct %s has no member %s: %w", structName, member, errScan)
	}
	if bits%8 != 0 {
		return 0, fmt.Errorf("%s.%s is a bitfield: %w", structName, member, errScan)
	}
	return int32(bits / 8), nil
}

// btfIndex walks the type section lazily: starts[id] is where type id
// begins (id 0 is void) for the ids seen so far, pos where the walk is.
type btfIndex struct {
	bo     binary.ByteOrder
	types  []byte
	strs   []byte
	starts []uint32
	pos    uint32
}

func (ix *btfIndex) nameIs(off uint32, want string) bool {
	if uint64(off)+uint64(len(want)) >= uint64(len(ix.strs)) {
		return false
	}
	s := ix.strs[off:]
	return string(s[:len(want)]) == want && s[len(want)] == 0
}

// next indexes one more type and returns its id, or 0 at the end.
func (ix *btfIndex) next() (uint32, error) {
	pos := ix.pos
	if pos >= uint32(len(ix.types)) {
		return 0, nil
	}
	if pos+12 > uint32(len(ix.types)) {
		return 0, fmt.Errorf("truncated type: %w", errScan)
	}
	info := ix.bo.Uint32(ix.types[pos+4:])
	kind, vlen := (info>>24)&0x1f, info&0xffff
	size := uint32(12)
	switch kind {
	case kindInt, kindVar, kindDeclTag:
		size += 4
	case kindPtr, kindFwd, kindTypedef, kindVolatile, kindConst, kindRestrict,
		kindFunc, kindFloat, kindTypeTag:
	case kindArray:
		size += 12
	case kindStruct, kindUnion, kindDatasec, kindEnum64:
		size += 12 * vlen
	case kindEnum, kindFuncProt:
		size += 8 * vlen
	default:
		return 0, fmt.Errorf("unknown BTF kind %d: %w", kind, errScan)
	}
	if uint64(pos)+uint64(size) > uint64(len(ix.types)) {
		return 0, fmt.Errorf("truncated type: %w", errScan)
	}
	ix.starts = append(ix.starts, pos)
	ix.pos = pos + size
	return uint32(len(ix.starts) - 1), nil
}

// at returns where type id starts, indexing further if needed.
func (ix *btfIndex) at(id uint32) (uint32, bool, error) {
	for id >= uint32(len(ix.starts)) {
		n, err := ix.next()
		if err != nil || n == 0 {
			return 0, false, err
		}
	}
	return ix.starts[id], id != 0, nil
}

// memberBits finds member in struct/union id: named members first, then
// inside anonymous struct/union members (through typedefs and qualifiers).
func (ix *btfIndex) memberBits(id uint32, member string, depth int) (uint32, bool, error) {
	for ; depth < 16; depth++ {
		pos, ok, err := ix.at(id)
		if !ok || err != nil {
			return 0, false, err
		}
		info := ix.bo.Uint32(ix.types[pos+4:])
		kind, vlen, kflag := (info>>24)&0x1f, info&0xffff, info>>31 == 1
		switch kind {
		case kindTypedef, kindConst, kindVolatile, kindRestrict, kindTypeTag:
			id = ix.bo.Uint32(ix.types[pos+8:])
			continue
		case kindStruct, kindUnion:
		default:
			return 0, false, nil
		}
		bitOff := func(m uint32) uint32 {
			off := ix.bo.Uint32(ix.types[m+8:])
			if kflag {
				off &= 0xffffff // upper 8 bits hold the bitfield size
			}
			return off
		}
		for i := uint32(0); i < vlen; i++ {
			m := pos + 12 + 12*i
			if name := ix.bo.Uint32(ix.types[m:]); name != 0 && ix.nameIs(name, member) {
				return bitOff(m), true, nil
			}
		}
		for i := uint32(0); i < vlen; i++ {
			m := pos + 12 + 12*i
			if ix.bo.Uint32(ix.types[m:]) != 0 {
				continue
			}
			inner, ok, err := ix.memberBits(ix.bo.Uint32(ix.types[m+4:]), member, depth+1)
			if err != nil || ok {
				return bitOff(m) + inner, ok, err
			}
		}
		return 0, false, nil
	}
	return 0, false, nil
}
