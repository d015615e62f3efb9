// -g with --strip-debug: the DWARF sections are dropped, the name section stays.
// flags: -g
// link: -Wl,--strip-debug
// expect-sections: name producers
// expect-no-sections: .debug_info .debug_line .debug_str .debug_abbrev
// expect-exit: 0
#include <stdio.h>

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

int main(void) {
    const char *words[] = {"wasm", "linker", "debug", ""};
    for (int i = 0; i < 4; i++) printf("fnv1a(\"%s\") = %08x\n", words[i], hash(words[i]));
    return 0;
}
