// Struct copies: assignment and pass/return by value of small and large structs (memcpy
// calls at -O0, inlined copies at -O2), memcpy/memmove with overlap, memset and memcmp.
// expect-exit: 0
#include <stdio.h>
#include <string.h>

struct small { short a; char b; int c; };
struct large { int id; double weights[32]; char label[40]; struct small inner; };

static struct large make(int id) {
    struct large l;
    memset(&l, 0, sizeof l);
    l.id = id;
    for (int i = 0; i < 32; i++) l.weights[i] = id * 0.5 + i;
    snprintf(l.label, sizeof l.label, "item-%d", id);
    l.inner = (struct small){(short)id, 'x', id * 1000};
    return l;
}

static double total(struct large l) {
    double s = 0;
    for (int i = 0; i < 32; i++) s += l.weights[i];
    l.id = -1;                            /* modifies the callee's copy only */
    return s + l.inner.c;
}

int main(void) {
    struct large a = make(3), b;
    b = a;
    b.weights[0] = 99;
    strcpy(b.label, "copy");
    printf("a: %d %s %.1f %d%c  b: %s %.1f\n", a.id, a.label, a.weights[0], a.inner.c, a.inner.b, b.label, b.weights[0]);
    printf("total(a) = %.1f, a.id still %d\n", total(a), a.id);
    struct large arr[3];
    for (int i = 0; i < 3; i++) arr[i] = make(i + 10);
    memcpy(&arr[0], &arr[2], sizeof arr[0]);
    printf("arr[0] after memcpy: %s, equal to arr[2]: %s\n", arr[0].label, memcmp(&arr[0], &arr[2], sizeof arr[0]) ? "no" : "yes");
    char text[32] = "abcdefghijklmnopqrstuvwxyz";
    memmove(text + 3, text, 10);
    printf("memmove overlap: %s\n", text);
    memmove(text, text + 5, 10);
    printf("memmove back: %s\n", text);
    struct small s1 = {1, 'q', 7}, s2;
    memcpy(&s2, &s1, sizeof s1);
    printf("small copy: %d %c %d, sizeof large = %zu\n", s2.a, s2.b, s2.c, sizeof(struct large));
    return 0;
}
