// Package cview is what the C compiler makes of protocol.h where Go
// cannot see it without cgo: the layout of struct ct_msg and the nonce
// name C's printf writes. Only wire's tests use it, to hold Message's
// encoding and NonceName to the init's side (cgo cannot be used in a
// _test.go file).
package cview

/*
#include <stddef.h>
#include <stdio.h>
#include "../protocol.h"

// cgo does not show a flexible array member: its offset, as a constant.
enum { ct_msg_data_offset = offsetof(struct ct_msg, data) };

static void ct_nonce_name(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, CT_NONCE_FORMAT, n);
}
*/
import "C"

import "unsafe"

// MsgLayout is struct ct_msg in C: its size and the offset of each field,
// in bytes, and the size of a data word.
type MsgLayout struct {
	Size, Type, A, B, C, D, N, Data, Word uintptr
}

// Msg is struct ct_msg as the C compiler lays it out.
func Msg() MsgLayout {
	var m C.struct_ct_msg
	return MsgLayout{
		Size: C.sizeof_struct_ct_msg,
		Type: unsafe.Offsetof(m._type),
		A:    unsafe.Offsetof(m.a),
		B:    unsafe.Offsetof(m.b),
		C:    unsafe.Offsetof(m.c),
		D:    unsafe.Offsetof(m.d),
		N:    unsafe.Offsetof(m.n),
		Data: C.ct_msg_data_offset,
		Word: C.sizeof_int,
	}
}

// ConfigMagicLen is how many bytes of the configuration the init compares
// with the magic.
const ConfigMagicLen = C.CT_CONFIG_MAGIC_LEN

// NonceName is the name the init takes for nonce n (cinit.c, wait_go).
func NonceName(n uint32) string {
	var buf [16]C.char
	C.ct_nonce_name(&buf[0], C.size_t(len(buf)), C.unsigned(n))
	return C.GoString(&buf[0])
}
