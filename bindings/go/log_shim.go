package tpauth

// The C side of SetLogger: a file of its own, because a file with //export may only declare C
// functions in its preamble, not define them.

/*
#include "tpauth.h"

extern void tpauthGoLog(int level, char *msg, void *ud);

static void tpauth_go_log_trampoline(int level, const char *msg, void *ud) {
	tpauthGoLog(level, (char *)msg, ud);
}

void tpauthGoLogShimSet(int on) {
	tp_set_log_callback(on ? tpauth_go_log_trampoline : NULL, NULL);
}
*/
import "C"
