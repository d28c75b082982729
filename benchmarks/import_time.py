"""Cold ``import storycluster``: wall time and resident memory, in fresh interpreters.

    python benchmarks/import_time.py [--runs 5] [--module storycluster]

Each run starts a new Python process that imports nothing but the module, and reports the
time the import took, the process's resident memory (VmRSS) after it, and which heavy
dependencies it pulled in. The table gives the median and the worst run, beside a bare
interpreter for reference. "Cold" here means a fresh process; the OS file cache is warm after
the first run, as it is for a user who imports the package twice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

HEAVY = (
    "torch",
    "sentence_transformers",
    "transformers",
    "sklearn",
    "scipy",
    "pandas",
    "pydantic",
    "datasketch",
    "py3langid",
    "matplotlib",
    "plotly",
    "pyspark",
    "ray",
)

_PROBE = """
import json, sys, time
start = time.perf_counter()
if {module!r}:
    import importlib
    importlib.import_module({module!r})
elapsed = time.perf_counter() - start
rss = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print(json.dumps({{"seconds": elapsed, "rss": rss, "heavy": heavy}}))
"""


def probe(module: str) -> dict[str, object]:
    code = _PROBE.format(module=module, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--module", default="storycluster")
    parser.add_argument(
        "--also", nargs="*", default=[], help="more modules to measure, e.g. storycluster.batch"
    )
    args = parser.parse_args()
    rows = []
    for module in ["", args.module, *args.also]:
        runs = [probe(module) for _ in range(args.runs)]
        seconds = [float(r["seconds"]) for r in runs]  # type: ignore[arg-type]
        rss = [int(r["rss"]) for r in runs]  # type: ignore[call-overload]
        rows.append(
            (
                module or "(bare interpreter)",
                statistics.median(seconds),
                max(seconds),
                statistics.median(rss) / 2**20,
                ", ".join(runs[-1]["heavy"]) or "-",  # type: ignore[arg-type]
            )
        )
    print(f"{'import':<28} {'median s':>9} {'worst s':>8} {'RSS MB':>7}  heavy modules loaded")
    for name, median, worst, mb, heavy in rows:
        print(f"{name:<28} {median:>9.3f} {worst:>8.3f} {mb:>7.1f}  {heavy}")
    print(f"({args.runs} fresh processes each; Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
