// RTTI: dynamic_cast up, down and across a hierarchy, typeid names and comparisons; the
// type_info objects and vtables come from COMDATs and libc++abi.
// expect-exit: 2
#include <stdio.h>
#include <typeinfo>

struct Animal { virtual ~Animal() {} virtual const char *sound() const = 0; };
struct Dog : Animal { const char *sound() const override { return "woof"; } };
struct Puppy : Dog { const char *sound() const override { return "yip"; } };
struct Cat : Animal { const char *sound() const override { return "meow"; } };
struct Pet { virtual ~Pet() {} int owner = 7; };
struct HouseCat : Cat, Pet {};

int main() {
    Animal *zoo[] = {new Dog, new Puppy, new Cat, new HouseCat};
    int dogs = 0;
    for (Animal *a : zoo) {
        Dog *d = dynamic_cast<Dog *>(a);
        Pet *p = dynamic_cast<Pet *>(a);
        printf("%-10s %-5s dog:%s pet:%s\n", typeid(*a).name(), a->sound(), d ? "yes" : "no",
               p ? "yes" : "no");
        if (p) printf("  owner %d\n", p->owner);
        dogs += d != nullptr;
    }
    printf("typeid(Dog) == typeid(*zoo[0]): %d\n", typeid(Dog) == typeid(*zoo[0]));
    printf("typeid(Dog) == typeid(*zoo[1]): %d\n", typeid(Dog) == typeid(*zoo[1]));
    printf("typeid(int).name(): %s\n", typeid(int).name());
    for (Animal *a : zoo) delete a;
    return dogs;
}
