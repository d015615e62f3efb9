"""A long fuzzing run outside pytest: mutate the malformed-input seeds many times and save each
input that fails with anything but a WasmlinkError into tests/corpus/ (named by its sha256),
where test_malformed.py replays it for ever after.

    python3 tests/support/fuzz_campaign.py SEED_DIR [--iterations N] [--seed S]
"""
import argparse
import hashlib
import random
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.deep import decode_everything  # noqa: E402
from wasmlink.errors import WasmlinkError  # noqa: E402

OPS = ["flip", "byte", "leb", "cut", "insert", "delete"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    from test_malformed import mutate as apply
    return apply(data, [(rng.choice(OPS), rng.random(), rng.randrange(256))
                        for _ in range(rng.randint(1, 4))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds", type=Path)
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seeds = [p.read_bytes() for p in sorted(args.seeds.iterdir()) if p.is_file()]
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    found = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.wasm"
        for i in range(args.iterations):
            data = mutate(rng.choice(seeds), rng)
            path.write_bytes(data)
            try:
                decode_everything(path)
            except WasmlinkError:
                pass
            except Exception:
                name = hashlib.sha256(data).hexdigest()[:16] + ".bin"
                if not (corpus / name).exists():
                    (corpus / name).write_bytes(data)
                    found += 1
                    print(f"[{i}] {name}: {traceback.format_exc().splitlines()[-1]}", flush=True)
    print(f"{args.iterations} inputs, {found} new failures saved")


if __name__ == "__main__":
    main()
