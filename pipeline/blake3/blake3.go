package blake3

/*
#cgo CFLAGS: -O3
#cgo 386 CFLAGS: -DBLAKE3_NO_SSE2 -DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 -DBLAKE3_NO_AVX512
#cgo windows CFLAGS: -DBLAKE3_NO_SSE2 -DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 -DBLAKE3_NO_AVX512
#include "blake3.h"

static void ll_blake3_256(const void *in, size_t len, uint8_t *out) {
	blake3_hasher h;
	blake3_hasher_init(&h);
	blake3_hasher_update(&h, in, len);
	blake3_hasher_finalize(&h, out, BLAKE3_OUT_LEN);
}
*/
import "C"

import "unsafe"

// Size is the length of a digest in bytes.
const Size = 32

// Sum256 returns the BLAKE3-256 digest of b (the 32-byte default output),
// computed on the calling goroutine.
func Sum256(b []byte) [Size]byte {
	var out [Size]byte
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	C.ll_blake3_256(p, C.size_t(len(b)), (*C.uint8_t)(unsafe.Pointer(&out[0])))
	return out
}
