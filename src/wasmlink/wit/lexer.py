"""Tokens of the WIT text format (WIT.md, "Lexical structure").

The whole file is tokenized up front with one regular expression. Whitespace is dropped; every
comment is kept and attached to the token that follows it, because wit-parser treats all comments
directly before an item as its documentation (``//``, ``///``, ``/* */`` and ``/** */`` alike) and
the printer writes them back as ``///`` lines. Block comments nest, so they are scanned by hand.

Characters the grammar does not know become ``bad`` tokens instead of raising here: a semver
version (``1.0.0-rc.1+build``) is not a token sequence of the grammar, so the parser re-reads it
from the source text and skips the tokens it covered.
"""
from __future__ import annotations

import bisect
import re

from .errors import WitError

KEYWORDS = frozenset("""
    as async bool borrow char constructor enum export f32 f64 flags from func future import
    include interface list map option own package record resource result s16 s32 s64 s8 static
    stream string tuple type u16 u32 u64 u8 use variant with world error-context
""".split())

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\n\r]+)
  | (?P<comment>//[^\n]*|/\*)
  | (?P<op>->|[=,:;(){}<>*/.@]|_(?![A-Za-z0-9_-]))
  | (?P<id>%?[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<int>[0-9]+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<bad>.)
""", re.VERBOSE | re.DOTALL)

_KEBAB_WORD = re.compile(r"[a-z][a-z0-9]*|[A-Z][A-Z0-9]*")


class Source:
    """One WIT file: its path for messages and its text; turns offsets into line:column."""

    def __init__(self, path: str, text: str):
        self.path = str(path)
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def where(self, offset: int) -> str:
        line, col = self.line_col(offset)
        return f"{self.path}:{line}:{col}"


class Span:
    __slots__ = ("source", "start", "end")

    def __init__(self, source: Source, start: int, end: int):
        self.source, self.start, self.end = source, start, end

    def where(self) -> str:
        return self.source.where(self.start)

    def error(self, message: str) -> WitError:
        line, col = self.source.line_col(self.start)
        return WitError(message, path=self.source.path, line=line, column=col)

    def __repr__(self) -> str:
        return f"Span({self.where()})"


class Token:
    __slots__ = ("kind", "text", "start", "end", "comments", "explicit")

    def __init__(self, kind, text, start, end, comments, explicit=False):
        self.kind = kind            # 'id', 'int', 'str', 'bad', 'eof', a keyword or an operator
        self.text = text            # identifier text without its '%'
        self.start, self.end = start, end
        self.comments = comments    # comment texts seen since the previous token
        self.explicit = explicit    # written as %name

    def describe(self) -> str:
        if self.kind == "eof":
            return "eof"
        if self.kind == "id":
            return f"an identifier `{self.text}`"
        if self.kind in KEYWORDS:
            return f"keyword `{self.kind}`"
        if self.kind == "int":
            return "an integer"
        if self.kind == "str":
            return "a string"
        if self.kind == "bad":
            return f"invalid character {self.text!r}"
        return f"'{self.kind}'"


def _block_comment_end(text: str, start: int, source: Source) -> int:
    depth, i = 0, start
    while i < len(text):
        two = text[i:i + 2]
        if two == "/*":
            depth += 1
            i += 2
        elif two == "*/":
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise Span(source, start, start + 2).error("unterminated block comment")


def validate_id(name: str, span: Span) -> None:
    """WIT identifiers are kebab-case words, each all-lowercase or all-uppercase."""
    if not name:
        raise span.error("empty identifier")
    for word in name.split("-"):
        if not word:
            raise span.error(f"`{name}` is not a valid kebab-case identifier: empty word")
        if not _KEBAB_WORD.fullmatch(word):
            if word[0].isdigit():
                raise span.error(f"`{name}` is not a valid kebab-case identifier: "
                                 f"word `{word}` starts with a digit")
            raise span.error(f"`{name}` is not a valid kebab-case identifier: "
                             f"word `{word}` mixes upper and lower case or has invalid characters")


def tokenize(source: Source) -> list[Token]:
    text = source.text
    tokens: list[Token] = []
    comments: list[str] = []
    pos, n = 0, len(text)
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]", text)
    if bad:  # control codes and bidirectional overrides are banned outright (WIT.md)
        raise Span(source, bad.start(), bad.end()).error(
            f"invalid character in source {bad.group()!r}")
    while pos < n:
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "comment":
            if m.group() == "/*":
                end = _block_comment_end(text, pos, source)
            else:
                end = m.end()
            comments.append(text[pos:end])
            pos = end
            continue
        start, end = pos, m.end()
        value = m.group()
        if kind == "op":
            tokens.append(Token(value, value, start, end, comments))
        elif kind == "id":
            if value.startswith("%"):
                tokens.append(Token("id", value[1:], start, end, comments, explicit=True))
            elif value in KEYWORDS:
                tokens.append(Token(value, value, start, end, comments))
            else:
                tokens.append(Token("id", value, start, end, comments))
        elif kind == "str":
            tokens.append(Token("str", value, start, end, comments))
        elif kind == "int":
            tokens.append(Token("int", value, start, end, comments))
        else:
            tokens.append(Token("bad", value, start, end, comments))
        comments = []
        pos = end
    tokens.append(Token("eof", "", n, n, comments))
    return tokens
