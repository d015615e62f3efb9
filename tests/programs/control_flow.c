// setjmp-free control flow: a dense switch (br_table), a sparse switch, goto-based
// cleanup, labelled breaks out of nested loops, mutual recursion, a state machine driven by
// a table of function pointers, and early returns.
// expect-exit: 42
#include <stdio.h>
#include <string.h>

static const char *day(int d) {
    switch (d) {
    case 0: return "sun"; case 1: return "mon"; case 2: return "tue"; case 3: return "wed";
    case 4: return "thu"; case 5: return "fri"; case 6: return "sat";
    default: return "???";
    }
}

static int sparse(int code) {
    switch (code) {
    case 3: return 1;
    case 100: return 2;
    case 4096: return 3;
    case -7: return 4;
    case 1 << 20: return 5;
    }
    return 0;
}

static int parse_digits(const char *s, int *out) {
    int value = 0, status = -1;
    if (!s) goto done;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') goto done;
        value = value * 10 + (*s - '0');
    }
    *out = value;
    status = 0;
done:
    return status;
}

static int is_even(unsigned n);
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }

static int ackermann(int m, int n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

enum state { START, IN_WORD, IN_SPACE, STOP };
typedef enum state (*step_fn)(char, int *);
static enum state on_start(char c, int *w) { if (!c) return STOP; if (c == ' ') return IN_SPACE; ++*w; return IN_WORD; }
static enum state on_word(char c, int *w) { (void)w; if (!c) return STOP; return c == ' ' ? IN_SPACE : IN_WORD; }
static enum state on_space(char c, int *w) { if (!c) return STOP; if (c == ' ') return IN_SPACE; ++*w; return IN_WORD; }
static const step_fn machine[] = {on_start, on_word, on_space};

static int count_words(const char *s) {
    int words = 0;
    enum state st = START;
    for (size_t i = 0; st != STOP; i++) st = machine[st](s[i], &words);
    return words;
}

int main(void) {
    for (int d = -1; d <= 7; d++) printf("%s ", day(d));
    printf("\n");
    int codes[] = {3, 100, 4096, -7, 1 << 20, 5};
    for (int i = 0; i < 6; i++) printf("sparse(%d) = %d\n", codes[i], sparse(codes[i]));
    int value = 0;
    printf("parse \"1234\": %d -> %d\n", parse_digits("1234", &value), value);
    printf("parse \"12x4\": %d\n", parse_digits("12x4", &value));
    printf("is_even(10) %d is_odd(7) %d\n", is_even(10), is_odd(7));
    printf("ackermann(2, 3) = %d\n", ackermann(2, 3));
    int found_i = -1, found_j = -1;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            if (i * j == 42) { found_i = i; found_j = j; goto found; }
found:
    printf("first i*j == 42: %d*%d\n", found_i, found_j);
    printf("words: %d\n", count_words("  the quick  brown fox "));
    return found_i * found_j;
}
