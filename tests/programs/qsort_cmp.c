// qsort and bsearch with comparator function pointers: integers, strings through an array
// of pointers, and records by two keys.
// expect-exit: 0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct person { const char *name; int age; };

static int by_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int by_int_desc(const void *a, const void *b) { return by_int(b, a); }
static int by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int by_age_then_name(const void *a, const void *b) {
    const struct person *p = a, *q = b;
    if (p->age != q->age) return p->age - q->age;
    return strcmp(p->name, q->name);
}

static void print_ints(const char *label, const int *v, int n) {
    printf("%s:", label);
    for (int i = 0; i < n; i++) printf(" %d", v[i]);
    printf("\n");
}

int main(void) {
    int v[20];
    unsigned seed = 12345;
    for (int i = 0; i < 20; i++) { seed = seed * 1103515245u + 12345u; v[i] = (int)(seed >> 16) % 1000 - 500; }
    print_ints("random", v, 20);
    qsort(v, 20, sizeof v[0], by_int);
    print_ints("ascending", v, 20);
    int key = v[13];
    int *hit = bsearch(&key, v, 20, sizeof v[0], by_int);
    printf("bsearch %d: index %d\n", key, hit ? (int)(hit - v) : -1);
    qsort(v, 20, sizeof v[0], by_int_desc);
    print_ints("descending", v, 20);

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "apricot"};
    qsort(words, 7, sizeof words[0], by_string);
    printf("words:");
    for (int i = 0; i < 7; i++) printf(" %s", words[i]);
    printf("\n");

    struct person people[] = {{"dana", 31}, {"ari", 25}, {"cy", 31}, {"bo", 25}, {"eve", 19}};
    qsort(people, 5, sizeof people[0], by_age_then_name);
    for (int i = 0; i < 5; i++) printf("%s(%d) ", people[i].name, people[i].age);
    printf("\n");
    return 0;
}
