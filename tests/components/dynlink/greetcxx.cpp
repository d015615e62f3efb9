// libgreet.so's `greet` in C++, over the componentize-py wheel's libc++.so and libc++abi.so:
// std::string and std::to_string from libc++, sized delete from libc++abi, and a global
// object whose constructor must have run before the first call.
#include <cstdlib>
#include <cstring>
#include <string>

struct Counter {
  int base;
  Counter() : base(100) {}
};
static Counter counter;
static int calls;

extern "C" char *greet(const char *who, int len) {
  std::string s = "hello from C++, " + std::string(who, len) + "! (" +
                  std::to_string(counter.base + ++calls) + ")";
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}
