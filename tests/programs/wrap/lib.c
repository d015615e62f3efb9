int compute(int x) { return x * 10; }
