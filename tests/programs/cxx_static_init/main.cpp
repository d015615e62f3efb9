// C++ static initialization across translation units: global objects with constructors and
// destructors, init_priority ordering them ahead of default ones in the other file, a
// constructor function with a priority, and destruction in reverse order at exit.
// expect-exit: 0
#include <stdio.h>
#include "registry.h"

volatile int registry_adds;

Registry &registry() {
    static Registry r;
    return r;
}

Entry main_early __attribute__((init_priority(200))) ("main_early(200)");
Entry main_default("main_default");

__attribute__((constructor(150))) static void c_ctor() { registry().add("c_ctor(150)"); }

int main() {
    printf("initialized:");
    for (int i = 0; i < registry().count; i++) printf(" %s", registry().names[i]);
    printf("\n");
    return 0;
}
