// Package blake3 computes BLAKE3-256 digests with the BLAKE3 team's own C
// implementation, release 1.8.6, compiled into the binary by cgo.
//
// It exists for speed: the append-only check re-hashes every byte of the
// ledger a store covers, and the store seal every byte of the store,
// at every job (docs/ARCHITECTURE.md, "Performance"). On this
// project's hosts the C implementation's AVX2 code hashes about twice as
// many bytes a second on one core as the Go assembly of
// lukechampine.com/blake3 (bench/HISTORY.md, stop 61). A digest is the
// same whichever code computes it: the tests hold this package to that
// library for every length around the BLAKE3 chunk and tree boundaries.
//
// The C files are the release's, unchanged, except in name: the x86-64
// assembly files carry an _amd64 suffix and the NEON file an _arm64 one,
// so that Go builds each only for the architecture it is written for; on
// other architectures, and on Windows (whose calling convention the
// assembly files here do not follow), the portable C code runs. LICENSE_CC0, LICENSE_A2
// and LICENSE_A2LLVM are the release's licences (the code may be used
// under any one of them).
//
// Sum256 hashes on the calling goroutine and never starts threads of its
// own: callers that hash many inputs spread them over the cores
// themselves. It must not be given inputs so small that the cost of a cgo
// call (some tens of nanoseconds) matters.
package blake3
