//go:build linux

// Package cmalloc tells how many bytes the C heap holds, where the C library can tell: the leak
// tests of the tpauth package measure libtpauth's memory with it. Test-only (internal: nothing
// outside bindings/go can import it, and only tests do).
package cmalloc

/*
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

// glibc's struct mallinfo2 (2.33+), looked up at run time so that other C libraries still link.
struct tpgo_mallinfo2 { size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost; };

static long long tpgo_c_heap_in_use(void) {
	struct tpgo_mallinfo2 (*f)(void) = (struct tpgo_mallinfo2 (*)(void))dlsym(RTLD_DEFAULT, "mallinfo2");
	if (f == NULL) return -1;
	struct tpgo_mallinfo2 m = f();
	return (long long)(m.uordblks + m.hblkhd);
}
*/
import "C"

// InUse is the C heap's live bytes (malloc'd and not freed, every arena, mmapped blocks
// included), which is where libtpauth allocates; -1 when the C library cannot tell (not glibc).
// The leak tests measure the library with it, byte for byte, instead of the noisy resident size.
func InUse() int64 {
	return int64(C.tpgo_c_heap_in_use())
}
