// Relocations in initialized data: a linked list built entirely in static data, pointers
// into the middle of arrays and to struct members (addends), pointers to data and
// functions defined in another file, and a string table of pointers. Addresses go to stderr
// (compared between the linkers).
// expect-exit: 0
#include <stdio.h>
#include <stddef.h>

struct node { int value; const struct node *next; const char *label; };

static const struct node n3 = {3, NULL, "three"};
static const struct node n2 = {2, &n3, "two"};
static const struct node n1 = {1, &n2, "one"};
const struct node *const head = &n1;

static int numbers[10] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90};
int *const middle = &numbers[5];
int *const past_end = numbers + 10;
static struct { int a; int b[4]; } record = {1, {2, 3, 4, 5}};
int *const record_b2 = &record.b[2];

extern int other_data[4];
extern int other_function(int);
extern const char *const other_names[];
int *const other_third = &other_data[2];
int (*const other_fn)(int) = other_function;

const char *const colors[] = {"red", "green", "blue", NULL};

int main(void) {
    for (const struct node *n = head; n; n = n->next) printf("node %d %s\n", n->value, n->label);
    printf("middle %d, before end %d, span %d\n", *middle, past_end[-1], (int)(past_end - middle));
    printf("record.b[2] via pointer: %d\n", *record_b2);
    printf("other_data[2] via pointer: %d, other_fn(4) = %d\n", *other_third, other_fn(4));
    for (int i = 0; other_names[i]; i++) printf("other name %s\n", other_names[i]);
    for (const char *const *c = colors; *c; c++) printf("color %s\n", *c);
    printf("offsetof(struct node, label) = %zu\n", offsetof(struct node, label));
    fprintf(stderr, "head %p middle %p record_b2 %p other_third %p other_fn %p colors %p names %p\n",
            (void *)head, (void *)middle, (void *)record_b2, (void *)other_third, (void *)other_fn,
            (void *)colors, (void *)other_names);
    return 0;
}
