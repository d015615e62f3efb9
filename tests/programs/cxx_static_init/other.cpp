#include "registry.h"

Entry other_late __attribute__((init_priority(300))) ("other_late(300)");
Entry other_first __attribute__((init_priority(101))) ("other_first(101)");
Entry other_default("other_default");
