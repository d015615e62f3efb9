// String literals in mergeable sections (.rodata.str1.1) from two files: the linker keeps
// one copy of each identical string (and of a string that is a suffix of another, when
// optimizing), so the pointers compare equal across files; the addresses go to stderr.
// link: -Wl,-O2
// expect-exit: 0
#include <stdio.h>
#include <string.h>

const char *other_hello(void);
const char *other_unique(void);
const char *other_world(void);

int main(void) {
    const char *mine = "hello, merged world";
    const char *theirs = other_hello();
    printf("%s / %s\n", mine, theirs);
    printf("equal contents: %s\n", strcmp(mine, theirs) == 0 ? "yes" : "no");
    printf("one copy: %s\n", mine == theirs ? "yes" : "no");
    printf("suffix shares the longer string: %s\n", other_world() == mine + 7 ? "yes" : "no");
    printf("unique: %s\n", other_unique());
    fprintf(stderr, "mine %p theirs %p world %p unique %p\n", (void *)mine, (void *)theirs,
            (void *)other_world(), (void *)other_unique());
    return 0;
}
