// Constructors and destructors with priorities, mixed with atexit and a default-priority
// constructor: __wasm_call_ctors runs them by priority, then in input order; destructors
// (lowered to __cxa_atexit) and atexit handlers run in reverse registration order at exit.
// expect-exit: 5
#include <stdio.h>
#include <stdlib.h>

static int order[16], n;
static void note(int id) { order[n++] = id; }

__attribute__((constructor(103))) static void third(void) { note(103); }
__attribute__((constructor(101))) static void first(void) { note(101); }
__attribute__((constructor)) static void last(void) { note(65535); }
__attribute__((constructor(102))) static void second(void) { note(102); }
__attribute__((constructor(101))) static void first_too(void) { note(1010); }

__attribute__((destructor(101))) static void d101(void) { printf("destructor 101\n"); }
__attribute__((destructor(200))) static void d200(void) { printf("destructor 200\n"); }
__attribute__((destructor)) static void ddefault(void) { printf("destructor default\n"); }

static void bye1(void) { printf("atexit 1\n"); }
static void bye2(void) { printf("atexit 2\n"); }

int main(void) {
    printf("constructors ran:");
    for (int i = 0; i < n; i++) printf(" %d", order[i]);
    printf("\n");
    atexit(bye1);
    atexit(bye2);
    printf("main returns\n");
    return n;
}
