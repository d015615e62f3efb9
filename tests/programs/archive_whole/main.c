// --whole-archive loads every member of an archive, so the constructors of members that
// nothing references run too (a plugin registry filled by constructors); the archive after
// --no-whole-archive is lazy again.
// archive: libplugins.a = plugin_a.c plugin_b.c plugin_c.c
// link: -Wl,--whole-archive {build}/libplugins.a -Wl,--no-whole-archive
// expect-exit: 3
#include <stdio.h>
#include <string.h>

struct plugin { const char *name; int (*run)(int); };
static struct plugin registry[8];
static int count;

void register_plugin(const char *name, int (*run)(int)) {
    registry[count].name = name;
    registry[count].run = run;
    count++;
}

int main(void) {
    /* registration order depends on the archive member order, so print sorted */
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(registry[j].name, registry[i].name) < 0) {
                struct plugin t = registry[i]; registry[i] = registry[j]; registry[j] = t;
            }
    for (int i = 0; i < count; i++)
        printf("%s(10) = %d\n", registry[i].name, registry[i].run(10));
    return count;
}
