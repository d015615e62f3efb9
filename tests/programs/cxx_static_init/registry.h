#pragma once
#include <stdio.h>

extern volatile int registry_adds;   /* keeps clang from evaluating constructors at compile time */

struct Registry {
    const char *names[16];
    int count = 0;
    void add(const char *n) { names[count++] = n; registry_adds = registry_adds + 1; }
};
Registry &registry();

struct Entry {
    const char *name;
    explicit Entry(const char *n) : name(n) { registry().add(n); }
    ~Entry() { printf("destroy %s\n", name); }
};
