int duplicate_counter(void) { return 2; }
