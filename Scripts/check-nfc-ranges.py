#!/usr/bin/env python3
"""Checks the claim behind CanonicalJSON.isCertainlyNFC (Sources/LienThongCore/JSON/CanonicalJSON.swift):
every scalar below U+0300 and every scalar of U+1E00–U+1EFF (Latin Extended Additional, which
Vietnamese uses) is its own NFC form, has canonical combining class 0 and is never the second
half of a canonical composition, so any sequence of them is already in NFC and the encoder may
skip Foundation's normalisation. Python's `unicodedata` is the independent reference."""
import sys
import unicodedata

RANGES = [range(0x0000, 0x0300), range(0x1E00, 0x1F00)]
safe = {c for r in RANGES for c in r}
problems = []
for c in sorted(safe):
    ch = chr(c)
    if unicodedata.normalize("NFC", ch) != ch:
        problems.append(f"U+{c:04X} is not its own NFC form")
    if unicodedata.combining(ch) != 0:
        problems.append(f"U+{c:04X} has combining class {unicodedata.combining(ch)}")
# The second halves of canonical compositions (Hangul composes algorithmically, outside the ranges).
for c in range(0x110000):
    decomposition = unicodedata.decomposition(chr(c))
    if decomposition and not decomposition.startswith("<"):
        parts = [int(p, 16) for p in decomposition.split()]
        if len(parts) == 2 and parts[1] in safe:
            problems.append(f"U+{parts[1]:04X} is the second half of U+{c:04X}")
if problems:
    print("\n".join(problems[:20]))
    sys.exit(1)
print(f"{len(safe)} scalars in the NFC quick-check ranges: each its own NFC form, class 0, never a second half (Unicode {unicodedata.unidata_version})")
