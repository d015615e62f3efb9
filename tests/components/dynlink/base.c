// The bottom library of a three-library link: data, a function pointer in data, a string
// pointer and a constructor that the libraries above it log after.
int order_log[8];
int order_len;
void log_ctor(int id) { order_log[order_len++] = id; }
__attribute__((constructor)) static void init(void) { log_ctor(1); }
int twice(int x) { return 2 * x; }
int (*base_op)(int) = twice;            // a function pointer in data: a data relocation
const char *base_name = "base";         // a pointer into this library's data
int (*op_of_base(void))(int) { return twice; }
