"""WIT: parse, resolve and print the WebAssembly Interface Type language (WIT.md).

``lexer`` -> ``parser`` (syntax tree in ``ast``) -> ``resolve`` (ids in the ``model`` arenas)
-> ``printer`` / ``json``. Nothing here imports more than the standard library.
"""
from __future__ import annotations

from pathlib import Path

from .errors import WitError
from .resolve import Resolve


def __getattr__(name):
    # the printer and the JSON form are for people; a link that only decodes worlds skips them
    if name == "print_package":
        from .printer import print_package
        return print_package
    if name == "resolve_to_json":
        from .json import resolve_to_json
        return resolve_to_json
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["WitError", "Resolve", "parse_wit", "print_package", "resolve_to_json"]


def parse_wit(text_or_path, *, path: str | None = None, features=(), all_features: bool = False):
    """Resolve WIT given as text or as a path (file or directory with ``deps/``).

    Returns ``(resolve, package_id)`` where ``package_id`` is the main package.
    A ``str`` containing a newline or a ``package`` keyword is taken as text; a
    :class:`pathlib.Path` or any other string as a path.
    """
    resolve = Resolve(features=features, all_features=all_features)
    is_text = isinstance(text_or_path, str) and (
        "\n" in text_or_path or text_or_path.lstrip().startswith(("package", "//", "/*", "@")))
    if is_text:
        pid = resolve.push_str(text_or_path, path or "<string>")
    else:
        pid = resolve.push_path(Path(text_or_path))
    return resolve, pid
