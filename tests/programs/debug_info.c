// -g: DWARF sections (.debug_info, .debug_line, .debug_str, .debug_abbrev) from this file and
// from crt1 are relocated and kept; the program runs the same.
// flags: -g
// expect-sections: .debug_info .debug_line .debug_str .debug_abbrev name
// expect-exit: 0
#include <stdio.h>

struct point { int x, y; };

static int manhattan(struct point a, struct point b) {
    int dx = a.x - b.x, dy = a.y - b.y;
    return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
}

int main(void) {
    struct point path[] = {{0, 0}, {3, 4}, {-2, 7}, {5, -1}};
    int total = 0;
    for (int i = 1; i < 4; i++) {
        int d = manhattan(path[i - 1], path[i]);
        printf("leg %d: %d\n", i, d);
        total += d;
    }
    printf("total: %d\n", total);
    return 0;
}
