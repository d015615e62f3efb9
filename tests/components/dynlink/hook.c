// Defines the weak function libmiddle.so looks for.
int optional_hook(int x) { return x + 1000; }
