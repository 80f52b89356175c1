# Regenerates nfc.txt (canonical decompositions, combining classes, primary composites) from Python's
# unicodedata. The server runs with InvariantGlobalization, where string.Normalize does not compose, so the
# tokenizer carries its own NFC tables. Usage: python3 generate_nfc_data.py > nfc.txt
import sys
import unicodedata

print(f"# NFC data from Python {sys.version.split()[0]} unicodedata {unicodedata.unidata_version}")
for cp in range(0x110000):
    if 0xAC00 <= cp <= 0xD7A3:
        continue  # Hangul syllables are algorithmic
    c = chr(cp)
    d = unicodedata.decomposition(c)
    if d and not d.startswith("<"):
        parts = d.split()
        print("D", format(cp, "X"), " ".join(parts))
        if len(parts) == 2 and unicodedata.normalize("NFC", "".join(chr(int(p, 16)) for p in parts)) == c:
            print("P", format(cp, "X"))
start = None
prev = None
for cp in range(0x110001):
    cc = unicodedata.combining(chr(cp)) if cp < 0x110000 else 0
    if prev is not None and (cc != prev[1] or cp != prev[0] + 1):
        if prev[1] != 0:
            print("C", format(start, "X"), format(prev[0], "X"), prev[1])
        start = cp
    if start is None:
        start = cp
    prev = (cp, cc)
