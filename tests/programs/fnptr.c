// Function pointers and indirect calls: a dispatch table in initialized data (table-index
// relocations in data), callbacks through a typedef, pointers to libc functions, address
// equality of a function taken in two places, and a function returning a function pointer.
// The table indexes (the pointers' values) go to stderr, which the wasmlink half compares.
// link: -Wl,--export-table -Wl,--growable-table
// expect-exports: __indirect_function_table
// expect-exit: 3
#include <stdio.h>
#include <string.h>

typedef int (*binop)(int, int);

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
int divide(int a, int b) { return b ? a / b : 0; }

struct op { const char *name; binop fn; char symbol; };
static const struct op ops[] = {
    {"add", add, '+'}, {"sub", sub, '-'}, {"mul", mul, '*'}, {"div", divide, '/'},
};

static binop pick(char symbol) {
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].symbol == symbol) return ops[i].fn;
    return NULL;
}

static int fold(const int *v, int n, binop f, int acc) {
    for (int i = 0; i < n; i++) acc = f(acc, v[i]);
    return acc;
}

static void apply_each(void (*visit)(const char *, int), const char *const *names, int n) {
    for (int i = 0; i < n; i++) visit(names[i], i);
}

static void show(const char *s, int i) { printf("  [%d] %s\n", i, s); }

size_t (*const length)(const char *) = strlen;
int (*volatile printer)(const char *, ...) = printf;

int main(void) {
    int values[] = {3, 5, 7, 11};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        printf("%s: 84 %c 4 = %d\n", ops[i].name, ops[i].symbol, ops[i].fn(84, 4));
    printf("fold(+) = %d, fold(*) = %d\n", fold(values, 4, pick('+'), 0), fold(values, 4, pick('*'), 1));
    printf("pick('?') is %s\n", pick('?') ? "set" : "NULL");
    binop again = divide;
    printf("divide taken twice: %s\n", again == ops[3].fn ? "same address" : "different");
    const char *names[] = {"alpha", "beta", "gamma"};
    apply_each(show, names, 3);
    printer("strlen via pointer: %zu\n", length("indirect"));
    fprintf(stderr, "table indexes: add %p sub %p mul %p divide %p show %p strlen %p printf %p\n",
            (void *)add, (void *)sub, (void *)mul, (void *)divide, (void *)show, (void *)length,
            (void *)printer);
    return (int)(pick('-')(10, 7));
}
