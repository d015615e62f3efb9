int other_data[4] = {100, 200, 300, 400};
static int scale = 11;
int *const scale_ptr = &scale;
int other_function(int x) { return x * *scale_ptr; }
static const char first[] = "first", second[] = "second";
const char *const other_names[] = {first, second, second + 3, 0};
