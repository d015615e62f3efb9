// Two strong definitions of one symbol in two files: a duplicate symbol error naming it.
// expect-link-error: duplicate_counter
int duplicate_counter(void) { return 1; }
int main(void) { return duplicate_counter(); }
