// Needs libbase.so: reads its data, calls through its function pointer, compares function
// addresses taken in two libraries, and calls a weak function only if some library defines it.
extern int order_log[];
extern int order_len;
extern int (*base_op)(int);
extern const char *base_name;
void log_ctor(int id);
int twice(int x);
int (*op_of_base(void))(int);
__attribute__((weak)) int optional_hook(int x);
__attribute__((constructor)) static void init(void) { log_ctor(2); }
int through_pointer(int x) { return base_op(x); }
int same_address(void) { return op_of_base() == twice && base_op == &twice; }
int hook_or_default(int x) { return optional_hook ? optional_hook(x) : -1; }
const char *name_of_base(void) { return base_name; }
