"""The built-in example (hello.c, its object hello.o, and hello.wasm linked by wasm-ld-22)."""
from pathlib import Path

DIRECTORY = Path(__file__).parent


def path(name: str) -> Path:
    return DIRECTORY / name
