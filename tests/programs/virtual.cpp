// Virtual calls without RTTI: an abstract base, overrides two levels deep, a virtual
// destructor called through a base pointer, multiple inheritance (this-adjusting thunks),
// and a virtual call through a pointer to member function.
// flags: -fno-rtti
// expect-exit: 4
#include <stdio.h>

struct Shape {
    virtual ~Shape() { printf("~Shape\n"); }
    virtual double area() const = 0;
    virtual const char *name() const { return "shape"; }
    double doubled() const { return 2 * area(); }
};

struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) {}
    ~Rect() override { printf("~Rect\n"); }
    double area() const override { return w * h; }
    const char *name() const override { return "rect"; }
};

struct Square final : Rect {
    explicit Square(double s) : Rect(s, s) {}
    ~Square() override { printf("~Square\n"); }
    const char *name() const override { return "square"; }
};

struct Circle : Shape {
    double r;
    explicit Circle(double r) : r(r) {}
    double area() const override { return 3.25 * r * r; }
};

struct Printable {
    virtual ~Printable() = default;
    virtual void print() const = 0;
};

struct Label : Printable, Rect {
    const char *text;
    Label(const char *t) : Rect(1, 2), text(t) {}
    void print() const override { printf("label '%s' area %.1f\n", text, area()); }
    const char *name() const override { return "label"; }
};

int main() {
    Shape *shapes[] = {new Rect(2, 3), new Square(4), new Circle(2), new Label("hi")};
    for (Shape *s : shapes)
        printf("%-6s area %6.2f doubled %6.2f\n", s->name(), s->area(), s->doubled());
    Printable *p = static_cast<Label *>(shapes[3]);
    p->print();
    const char *(Shape::*method)() const = &Shape::name;
    printf("via member pointer: %s\n", (shapes[1]->*method)());
    int n = 0;
    for (Shape *s : shapes) {
        delete s;
        n++;
    }
    return n;
}
