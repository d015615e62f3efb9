#include "shared.h"

void bump_from_other() {
    inline_counter();
    Accumulator<int>::add(2);
    Accumulator<long>::add(200);
    shared_value += 10;
}
void *other_inline_counter_address() { return (void *)&inline_counter; }
void *other_total_address() { return (void *)&Accumulator<int>::total; }
void *other_shared_value_address() { return (void *)&shared_value; }
int other_area(const Shape &s) { return s.area(); }
