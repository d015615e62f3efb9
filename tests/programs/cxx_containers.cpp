// More of libc++: unordered_map, set, deque, unique_ptr/shared_ptr with virtual
// destructors, optional, variant with std::visit, string_view, std::function, and
// <numeric>/<algorithm> (accumulate, transform, lower_bound, partial_sum).
// flags: -std=c++17
// expect-exit: 0
#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

struct Base { virtual ~Base() { std::printf("~Base\n"); } virtual int id() const { return 0; } };
struct Derived : Base { ~Derived() override { std::printf("~Derived\n"); } int id() const override { return 7; } };

static std::optional<int> find_even(const std::vector<int> &v) {
    for (int x : v) if (x % 2 == 0) return x;
    return std::nullopt;
}

int main() {
    std::vector<int> v(10);
    std::iota(v.begin(), v.end(), 1);
    std::transform(v.begin(), v.end(), v.begin(), [](int x) { return x * x; });
    std::printf("sum of squares 1..10: %d\n", std::accumulate(v.begin(), v.end(), 0));
    std::vector<int> prefix(v.size());
    std::partial_sum(v.begin(), v.end(), prefix.begin());
    auto it = std::lower_bound(prefix.begin(), prefix.end(), 100);
    std::printf("first prefix >= 100: %d at %d\n", *it, (int)(it - prefix.begin()));

    std::unordered_map<std::string, int> ages{{"ann", 31}, {"bob", 27}};
    ages["cy"] = 40;
    std::set<std::string> names;
    for (auto &kv : ages) names.insert(kv.first);
    for (auto &n : names) std::printf("%s=%d ", n.c_str(), ages[n]);
    std::printf("\n");

    std::deque<int> dq;
    for (int i = 0; i < 5; i++) { dq.push_back(i); dq.push_front(-i); }
    std::printf("deque:");
    for (int x : dq) std::printf(" %d", x);
    std::printf("\n");

    {
        std::unique_ptr<Base> u = std::make_unique<Derived>();
        std::shared_ptr<Base> s = std::make_shared<Derived>();
        std::shared_ptr<Base> s2 = s;
        std::printf("ids %d %d use_count %ld\n", u->id(), s->id(), s.use_count());
    }

    auto odd = find_even({1, 3, 5});
    auto even = find_even({1, 4, 6});
    std::printf("find_even: %s, %d\n", odd ? "found" : "none", even.value_or(-1));

    using Value = std::variant<int, double, std::string>;
    std::vector<Value> values{42, 2.5, std::string("text")};
    for (auto &val : values)
        std::visit([](auto &&x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, int>) std::printf("int %d\n", x);
            else if constexpr (std::is_same_v<T, double>) std::printf("double %.2f\n", x);
            else std::printf("string %s\n", x.c_str());
        }, val);

    std::string_view sv = "key=value;other=thing";
    auto semi = sv.find(';');
    std::string_view first = sv.substr(0, semi);
    std::printf("first pair: %.*s, key: %.*s\n", (int)first.size(), first.data(),
                (int)first.find('='), first.data());

    std::function<int(int)> f = [base = 10](int x) { return base + x; };
    std::function<int(int)> g = [&f](int x) { return f(x) * 2; };
    std::printf("g(5) = %d\n", g(5));
    return 0;
}
