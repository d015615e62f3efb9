"""Reading and writing the binary formats: core modules, components, object files, archives.

Data flows: files (map the bytes) → scan (native: where the sections are) → module / component /
archive (lazy typed views) → decode (one standard section at a time) → encode (back to bytes).
"""
