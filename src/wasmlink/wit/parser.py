"""Recursive-descent parser for WIT files (WIT.md, "Top-level items" onward).

One token of lookahead is enough for the grammar. Each production is a method named after it.
Errors raise at once as :class:`WitError` naming ``file:line:column`` and what was expected,
worded like wit-parser (``expected '>', found keyword `type```).
"""
from __future__ import annotations

import re

from . import ast
from .lexer import Source, Span, Token, tokenize, validate_id

_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                     r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")

PRIMITIVES = frozenset("bool u8 u16 u32 u64 s8 s16 s32 s64 f32 f64 char string error-context".split())


class Parser:
    def __init__(self, source: Source):
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0

    # -- token helpers ---------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def span(self, tok: Token | None = None) -> Span:
        tok = tok or self.tok
        return Span(self.source, tok.start, tok.end)

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def at(self, *kinds: str) -> bool:
        return self.tok.kind in kinds

    def bump(self) -> Token:
        tok = self.tok
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def eat(self, kind: str) -> Token | None:
        return self.bump() if self.tok.kind == kind else None

    def fail(self, expected: str):
        tok = self.tok
        if tok.kind == "bad":
            raise self.span().error(f"invalid character in identifier {tok.text!r}")
        raise self.span().error(f"expected {expected}, found {tok.describe()}")

    def expect(self, kind: str, what: str | None = None) -> Token:
        if self.tok.kind != kind:
            self.fail(what or f"'{kind}'")
        return self.bump()

    def docs(self) -> list[str]:
        return list(self.tok.comments)

    def ident(self) -> ast.Id:
        tok = self.tok
        if tok.kind != "id":
            self.fail("an identifier or string")
        self.bump()
        span = self.span(tok)
        validate_id(tok.text, span)
        return ast.Id(tok.text, span)

    def version(self) -> str:
        """A semver after '@', read from the text because it is not made of WIT tokens."""
        at = self.expect("@")
        m = _SEMVER.match(self.source.text, at.end)
        if not m:
            raise self.span().error("expected a semver version")
        while self.tok.start < m.end() and self.tok.kind != "eof":
            self.bump()
        if self.tok.start < m.end():
            raise self.span().error("expected a semver version")
        return m.group()

    # -- top level -------------------------------------------------------------------------

    def parse_file(self) -> ast.File:
        package = None
        nested: list[ast.NestedPackage] = []
        items: list = []
        if self.at("package"):
            docs = self.docs()
            start = self.bump()
            name = self.package_name(start)
            if self.eat(";"):
                package = ast.PackageDecl(name, docs)
            else:
                nested.append(self.nested_package(ast.PackageDecl(name, docs)))
        while not self.at("eof"):
            if self.at("package"):
                docs = self.docs()
                start = self.bump()
                name = self.package_name(start)
                if self.at(";"):
                    raise self.span().error(
                        "expected '{', found ';' (only one `package x:y;` header is allowed "
                        "and it must come first)")
                nested.append(self.nested_package(ast.PackageDecl(name, docs)))
                continue
            items.append(self.package_item())
        return ast.File(package, ast.DeclList(items, self.source), nested)

    def package_name(self, start: Token) -> ast.PackageName:
        ns = self.ident()
        self.expect(":")
        name = self.ident()
        if self.at(":"):
            raise self.span().error("nested namespaces are not supported (expected '@', ';' or '{')")
        if self.at("/"):
            raise self.span().error("nested packages are not supported (expected '@', ';' or '{')")
        version = self.version() if self.at("@") else None
        span = Span(self.source, ns.span.start, self.tokens[self.pos - 1].end)
        return ast.PackageName(ns.name, name.name, version, span)

    def nested_package(self, decl: ast.PackageDecl) -> ast.NestedPackage:
        self.expect("{")
        items = []
        while not self.eat("}"):
            if self.at("eof"):
                self.fail("'}'")
            if self.at("package"):
                raise self.span().error("nested packages must be placed at the top-level")
            items.append(self.package_item())
        return ast.NestedPackage(decl, ast.DeclList(items, self.source))

    def attributes(self) -> list[ast.Attr]:
        attrs = []
        while self.at("@"):
            at = self.bump()
            tok = self.tok
            if tok.kind != "id":
                self.fail("`since`, `unstable`, `deprecated` or `external-id`")
            kind = tok.text
            self.bump()
            span = Span(self.source, at.start, tok.end)
            self.expect("(")
            if kind in ("since", "deprecated"):
                key = self.expect("id", "`version`")
                if key.text != "version":
                    raise self.span(key).error(f"expected `version`, found `{key.text}`")
                self.expect("=")
                value = self.version_bare()
            elif kind == "unstable":
                key = self.expect("id", "`feature`")
                if key.text != "feature":
                    raise self.span(key).error(f"expected `feature`, found `{key.text}`")
                self.expect("=")
                value = self.ident().name
            elif kind == "external-id":
                value = self.expect("str", "a string").text
            else:
                raise span.error(f"unknown attribute `{kind}`")
            self.expect(")")
            attrs.append(ast.Attr(kind, value, span))
        return attrs

    def version_bare(self) -> str:
        tok = self.tok
        m = _SEMVER.match(self.source.text, tok.start)
        if not m:
            raise self.span().error("expected a semver version")
        while self.tok.start < m.end() and self.tok.kind != "eof":
            self.bump()
        return m.group()

    def package_item(self):
        docs = self.docs()
        attrs = self.attributes()
        if self.at("interface"):
            self.bump()
            name = self.ident()
            return ast.Interface(name, self.interface_body(), docs, attrs)
        if self.at("world"):
            self.bump()
            name = self.ident()
            return ast.World(name, self.world_body(), docs, attrs)
        if self.at("use"):
            start = self.bump()
            path = self.use_path()
            as_ = self.ident() if self.eat("as") else None
            self.expect(";")
            return ast.TopUse(path, as_, attrs, Span(self.source, start.start, path.name.span.end))
        self.fail("`world`, `interface` or `use`")

    def use_path(self) -> ast.UsePath:
        first = self.ident()
        if not self.at(":"):
            return ast.UsePath(first, None)
        self.bump()
        pkg = self.ident()
        if self.at(":"):
            raise self.span().error("nested namespaces are not supported")
        self.expect("/")
        name = self.ident()
        if self.at("/"):
            raise self.span().error("nested packages are not supported")
        version = self.version() if self.at("@") else None
        span = Span(self.source, first.span.start, pkg.span.end)
        return ast.UsePath(name, ast.PackageName(first.name, pkg.name, version, span))

    # -- interfaces ------------------------------------------------------------------------

    def interface_body(self) -> list:
        self.expect("{")
        items = []
        while not self.eat("}"):
            items.append(self.interface_item())
        return items

    def interface_item(self):
        docs = self.docs()
        attrs = self.attributes()
        if self.at("use"):
            return self.use_item(docs, attrs)
        typedef = self.typedef_item(docs, attrs)
        if typedef is not None:
            return typedef
        if self.at("id"):
            name = self.ident()
            self.expect(":")
            return ast.NamedFunc(name, self.func_type(), docs, attrs)
        self.fail("`type`, `resource`, `record`, `variant`, `enum`, `flags`, `use` "
                  "or a function")

    def use_item(self, docs, attrs) -> ast.Use:
        start = self.bump()
        path = self.use_path()
        self.expect(".")
        self.expect("{")
        names = []
        while not self.at("}"):
            name = self.ident()
            as_ = self.ident() if self.eat("as") else None
            names.append(ast.UseName(name, as_))
            if not self.eat(","):
                break
        self.expect("}")
        self.expect(";")
        return ast.Use(path, names, docs, attrs, Span(self.source, start.start, start.end))

    def typedef_item(self, docs, attrs) -> ast.TypeDef | None:
        kind = self.tok.kind
        if kind == "type":
            self.bump()
            name = self.ident()
            self.expect("=")
            ty = self.ty()
            self.expect(";")
            return ast.TypeDef(name, ty, docs, attrs)
        if kind in ("record", "variant", "enum", "flags"):
            self.bump()
            name = self.ident()
            span = name.span
            self.expect("{")
            cases = []
            while not self.at("}"):
                mdocs = self.docs()
                mname = self.ident()
                mty = None
                if kind == "record":
                    self.expect(":")
                    mty = self.ty()
                elif kind == "variant" and self.eat("("):
                    mty = self.ty()
                    self.expect(")")
                cases.append(ast.Member(mname, mty, mdocs))
                if not self.eat(","):
                    break
            self.expect("}")
            return ast.TypeDef(name, ast.Ty(kind, span, cases=cases), docs, attrs)
        if kind == "resource":
            start = self.bump()
            name = self.ident()
            span = Span(self.source, start.start, name.span.end)
            funcs = []
            if not self.eat(";"):
                self.expect("{", "'{' or ';'")
                while not self.eat("}"):
                    funcs.append(self.resource_func())
            return ast.TypeDef(name, ast.Ty("resource", span, funcs=funcs), docs, attrs)
        return None

    def resource_func(self) -> ast.NamedFunc:
        docs = self.docs()
        attrs = self.attributes()
        if self.at("constructor"):
            tok = self.bump()
            name = ast.Id("constructor", self.span(tok))
            params = self.param_list()
            result = self.ty() if self.eat("->") else None
            self.expect(";")
            return ast.NamedFunc(name, ast.Func(params, result, False, name.span), docs, attrs,
                                 "constructor")
        name = self.ident()
        self.expect(":")
        if self.eat("static"):
            func = self.func_type()
            return ast.NamedFunc(name, func, docs, attrs, "static")
        return ast.NamedFunc(name, self.func_type(), docs, attrs, "method")

    def func_type(self, semi: bool = True) -> ast.Func:
        start = self.tok
        is_async = bool(self.eat("async"))
        self.expect("func", "`func`")
        params = self.param_list()
        result = self.ty() if self.eat("->") else None
        if semi:
            self.expect(";")
        return ast.Func(params, result, is_async, Span(self.source, start.start, start.end))

    def param_list(self) -> list:
        self.expect("(")
        params = []
        while not self.at(")"):
            name = self.ident()
            self.expect(":")
            params.append((name, self.ty()))
            if not self.eat(","):
                break
        self.expect(")")
        return params

    # -- types -----------------------------------------------------------------------------

    def ty(self) -> ast.Ty:
        self.depth = getattr(self, "depth", 0) + 1
        try:
            if self.depth > 100:
                raise self.span().error("type nesting too deep")
            return self._ty()
        finally:
            self.depth -= 1

    def _ty(self) -> ast.Ty:
        tok = self.tok
        span = self.span(tok)
        kind = tok.kind
        if kind in PRIMITIVES:
            self.bump()
            return ast.Ty(kind, span)
        if kind == "id":
            return ast.Ty("name", span, name=self.ident())
        if kind in ("list", "option", "tuple", "map", "own", "borrow", "result", "future",
                    "stream"):
            self.bump()
            if kind in ("result", "future", "stream") and not self.at("<"):
                return ast.Ty(kind, span, args=[None, None] if kind == "result" else [None])
            self.expect("<")
            if kind in ("own", "borrow"):
                name = self.ident()
                self.expect(">")
                return ast.Ty(kind, span, name=name)
            if kind == "result":
                if self.eat("_"):
                    self.expect(",")
                    err = self.ty()
                    args = [None, err]
                else:
                    ok = self.ty()
                    args = [ok, self.ty() if self.eat(",") else None]
                self.expect(">")
                return ast.Ty(kind, span, args=args)
            if kind == "tuple":
                args = []
                while not self.at(">"):
                    args.append(self.ty())
                    if not self.eat(","):
                        break
                self.expect(">")
                return ast.Ty(kind, span, args=args)
            first = self.ty()
            if kind == "map":
                self.expect(",")
                value = self.ty()
                self.expect(">")
                return ast.Ty(kind, span, args=[first, value])
            if kind == "list" and self.eat(","):
                size_tok = self.expect("int", "an integer")
                size = int(size_tok.text)
                if size == 0:
                    raise self.span(size_tok).error("invalid fixed-length list size: must be non-zero")
                if size >= 2 ** 32:
                    raise self.span(size_tok).error("invalid fixed-length list size: too large")
                self.expect(">")
                return ast.Ty("fixed-length-list", span, args=[first], size=size)
            self.expect(">")
            return ast.Ty(kind, span, args=[first])
        self.fail("a type")

    # -- worlds ----------------------------------------------------------------------------

    def world_body(self) -> list:
        self.expect("{")
        items = []
        while not self.eat("}"):
            items.append(self.world_item())
        return items

    def world_item(self):
        docs = self.docs()
        attrs = self.attributes()
        if self.at("use"):
            return self.use_item(docs, attrs)
        if self.at("import", "export"):
            direction = self.bump().kind
            return ast.ImportExport(direction, self.extern(), docs, attrs)
        if self.at("include"):
            start = self.bump()
            path = self.use_path()
            names = []
            if self.eat("with"):
                self.expect("{")
                while not self.at("}"):
                    name = self.ident()
                    self.expect("as")
                    names.append((name, self.ident()))
                    if not self.eat(","):
                        break
                self.expect("}")
                self.eat(";")
            else:
                self.expect(";")
            return ast.Include(path, names, docs, attrs, path.name.span)
        typedef = self.typedef_item(docs, attrs)
        if typedef is not None:
            return typedef
        self.fail("`import`, `export`, `include`, `use`, or type definition")

    def extern(self) -> ast.Extern:
        # `import name: ...` vs `import path;`: an id followed by ':' then not an id+'/'.
        first = self.tok
        if first.kind == "id" and self.peek().kind == ":" and not (
                self.peek(2).kind == "id" and self.peek(3).kind == "/"):
            name = self.ident()
            self.expect(":")
            span = name.span
            if self.at("func", "async"):
                return ast.Extern("func", name, func=self.func_type(), span=span)
            if self.eat("interface"):
                return ast.Extern("interface", name, items=self.interface_body(), span=span)
            if self.at("id"):
                path = self.use_path()
                self.expect(";")
                return ast.Extern("implements", name, path=path, span=name.span)
            self.fail("`func`, `interface` or an interface name")
        path = self.use_path()
        self.expect(";")
        span = path.package.span if path.package else path.name.span
        return ast.Extern("path", None, path=path, span=span)


def parse_source(source: Source) -> ast.File:
    return Parser(source).parse_file()


def parse_text(text: str, path: str = "<string>") -> ast.File:
    return parse_source(Source(path, text))
