// COMDATs: inline functions, inline variables, templates and their static locals, used from
// two translation units, keep one copy each (the same address and the same state in both).
// flags: -std=c++17
// expect-exit: 0
#include <stdio.h>
#include "shared.h"

int main() {
    bump_from_main();
    bump_from_other();
    bump_from_main();
    printf("inline counter: %d\n", inline_counter());
    printf("template sum<int>: %d, sum<long>: %ld\n", Accumulator<int>::add(0), Accumulator<long>::add(0));
    printf("inline variable: %d\n", shared_value);
    printf("same inline function address: %s\n",
           (void *)&inline_counter == other_inline_counter_address() ? "yes" : "no");
    printf("same template static address: %s\n",
           (void *)&Accumulator<int>::total == other_total_address() ? "yes" : "no");
    printf("same inline variable address: %s\n",
           (void *)&shared_value == other_shared_value_address() ? "yes" : "no");
    Shape s(3, 4);
    printf("Shape area from main: %d, from other: %d\n", s.area(), other_area(s));
    return 0;
}

void bump_from_main() {
    inline_counter();
    Accumulator<int>::add(1);
    Accumulator<long>::add(100);
    shared_value += 1;
}
