"""Shared-everything dynamic linking: the core of ``wasmlink component link``.

``plan_link`` takes dynamic libraries (tool-conventions DynamicLinking.md) and plans how they
are instantiated together as one program: a synthesized main module owning memory, table and
globals, the libraries in dependency order with each import wired to its source, and an init
module that fills GOT entries and table slots and runs relocations and constructors. It follows
wit-component's linker (wasm-tools ``crates/wit-component/src/linking.rs``).

Passes, one module each: libraries (read) → resolve → main_module (lay out, emit main) →
init_module → plan (wiring). dlopen's lookup table is in dlopen, wasip3's TLS tables in tls.
"""
from .plan import DEFAULT_STACK_SIZE, LinkPlan, Source, plan_link

__all__ = ["plan_link", "LinkPlan", "Source", "DEFAULT_STACK_SIZE"]
