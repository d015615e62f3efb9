// Imports satisfied by the host: undefined functions become env.* imports with
// --allow-undefined; import_module/import_name give explicit names that need no flag.
// link: -Wl,--allow-undefined
// expect-imports: env.host_add env.host_scale env.host_log host.mul
// expect-exit: 9
#include <stdio.h>

int host_add(int, int);
double host_scale(double);
void host_log(int);
__attribute__((import_module("host"), import_name("mul"))) int multiply(int, int);

int main(void) {
    int sum = host_add(20, 22);
    printf("host_add(20, 22) = %d\n", sum);
    printf("host_scale(3.0) = %.2f\n", host_scale(3.0));
    printf("multiply(6, 7) = %d\n", multiply(6, 7));
    fflush(stdout);
    host_log(sum);
    printf("after host_log\n");
    return multiply(3, 3);
}
