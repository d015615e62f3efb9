"""The compiled core (built from ext/*.pyx): leb128, scan, hashing, relocations.

Private: the public API is plain Python in the packages above. Import the submodules directly.
"""
