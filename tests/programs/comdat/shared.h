#pragma once
inline int inline_counter() {
    static int calls = 0;
    return ++calls;
}

template <typename T> struct Accumulator {
    static T total;
    static T add(T x) { total += x; return total; }
};
template <typename T> T Accumulator<T>::total = 0;

inline int shared_value = 40;

struct Shape {
    int w, h;
    Shape(int w, int h) : w(w), h(h) {}
    int area() const { return w * h; }       /* inline member: COMDAT */
};

void bump_from_main();
void bump_from_other();
void *other_inline_counter_address();
void *other_total_address();
void *other_shared_value_address();
int other_area(const Shape &);
