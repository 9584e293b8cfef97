package wire

// What the C compiler makes of protocol.h where cgo gives no constant: the
// layout of struct ct_msg and the nonce name C's printf writes. Only the
// tests use it (layout_test.go), to hold Message's encoding and NonceName
// to the C side; cgo cannot be used in a _test.go file, so it is here.

/*
#include <stddef.h>
#include <stdio.h>
#include "protocol.h"

// cgo does not show a flexible array member: its offset, as a constant.
enum { ct_msg_data_offset = offsetof(struct ct_msg, data) };

static void ct_nonce_name(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, CT_NONCE_FORMAT, n);
}
*/
import "C"

import "unsafe"

// cMsgLayout is struct ct_msg in C: its size and the offset of each field,
// in bytes, and the size of a data word.
type cMsgLayout struct {
	size, typ, a, b, c, d, n, data, word uintptr
}

func cMsg() cMsgLayout {
	var m C.struct_ct_msg
	return cMsgLayout{
		size: C.sizeof_struct_ct_msg,
		typ:  unsafe.Offsetof(m._type),
		a:    unsafe.Offsetof(m.a),
		b:    unsafe.Offsetof(m.b),
		c:    unsafe.Offsetof(m.c),
		d:    unsafe.Offsetof(m.d),
		n:    unsafe.Offsetof(m.n),
		data: C.ct_msg_data_offset,
		word: C.sizeof_int,
	}
}

// cConfigMagicLen is how many bytes of the configuration the init compares
// with the magic.
const cConfigMagicLen = C.CT_CONFIG_MAGIC_LEN

// cNonceName is the name the init takes for nonce n (cinit.c, wait_go).
func cNonceName(n uint32) string {
	var buf [16]C.char
	C.ct_nonce_name(&buf[0], C.size_t(len(buf)), C.unsigned(n))
	return C.GoString(&buf[0])
}
