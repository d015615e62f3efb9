int dep_counter = 3;
int dep_scale(int x) { return x * dep_counter; }
