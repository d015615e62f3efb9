// C++ with libc++ and libc++abi: iostream output with manipulators, std::string building,
// std::map word counts, std::vector with std::sort by a lambda, std::ostringstream.
// flags: -std=c++17
// expect-exit: 7
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main() {
    const std::string text = "the quick brown fox jumps over the lazy dog the end";
    std::map<std::string, int> counts;
    std::istringstream in(text);
    for (std::string word; in >> word;) counts[word]++;
    for (const auto &[word, n] : counts) std::cout << std::setw(6) << word << " " << n << "\n";

    std::vector<std::pair<std::string, int>> ranked(counts.begin(), counts.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::cout << "top: " << ranked.front().first << " x" << ranked.front().second << "\n";

    std::vector<double> xs{3.5, -1.25, 2.0, 10.0 / 3};
    std::sort(xs.begin(), xs.end());
    std::ostringstream out;
    out << std::fixed << std::setprecision(3);
    for (double x : xs) out << x << ";";
    std::cout << out.str() << std::endl;

    std::string s = "wasm";
    s += "link";
    s.insert(0, "[");
    s.push_back(']');
    std::reverse(s.begin() + 1, s.end() - 1);
    std::cout << s << " length " << s.size() << ", hex " << std::hex << 48879 << std::dec << std::endl;
    std::cerr << "stderr line" << std::endl;
    return static_cast<int>(ranked.size() - counts.size()) + 7;
}
