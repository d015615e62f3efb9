// A reference to a function nothing defines is a link error naming the symbol (and no
// output file is written).
// expect-link-error: missing_function
int missing_function(int);

int main(void) { return missing_function(3); }
