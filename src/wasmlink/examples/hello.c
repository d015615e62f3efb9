/* The built-in example: a small C program with a constructor, a function pointer and data.
   hello.o is its relocatable object (clang-22 -c), hello.wasm the program wasm-ld-22 made of it
   and wasi-libc. Rebuild both with `make -C src/wasmlink/examples`. */
#include <stdio.h>

static int counter;
static const char *greeting = "hello from wasmlink's example";

__attribute__((constructor)) static void setup(void) { counter = 41; }

int answer(void) { return ++counter; }

static int (*pick(void))(void) { return answer; }

int main(void) {
    printf("%s: %d\n", greeting, pick()());
    return 0;
}
