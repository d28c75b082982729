"""Wall time and peak memory of the windowed pipeline: one process vs Spark vs Ray.

Synthetic corpus: events of 1-12 articles with made-up headlines (shared names, places and
numbers per event), dates spread over 60 days, and precomputed 384-d unit vectors (an event
centroid plus noise), so no model is loaded. Each run is a fresh subprocess; peak memory is the
largest resident set of its whole process tree (driver, JVM and Python workers for Spark),
sampled every 0.1 s from /proc (for Ray: driver, GCS, raylet and workers; pages of Ray's shared
object store count once per process that maps them). Spark needs storycluster[spark] and Java 17+,
Ray storycluster[ray]; both run locally on all cores.

    .venv/bin/python benchmarks/distributed.py                      # 10k articles
    .venv/bin/python benchmarks/distributed.py --sizes 10000 100000 # also 100k (slower)
    .venv/bin/python benchmarks/distributed.py --modes single ray   # a subset of the engines
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

_WORDS = [
    "fire",
    "storm",
    "vote",
    "court",
    "strike",
    "protest",
    "deal",
    "summit",
    "quake",
    "flood",
    "crash",
    "trial",
    "election",
    "merger",
    "budget",
    "rally",
    "shooting",
    "outage",
    "recall",
    "tariff",
    "verdict",
    "launch",
    "rescue",
    "ban",
]
_PLACES = [
    "Paris",
    "Lagos",
    "Denver",
    "Osaka",
    "Lima",
    "Cairo",
    "Austin",
    "Leeds",
    "Kyiv",
    "Perth",
    "Quito",
    "Oslo",
    "Delhi",
    "Miami",
    "Rome",
]
_NAMES = [
    "Smith",
    "Garcia",
    "Chen",
    "Okafor",
    "Novak",
    "Silva",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Dubois",
    "Rossi",
    "Kim",
]


def synthetic(n: int, seed: int = 0, dim: int = 384) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, vectors = [], []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    i = 0
    while i < n:
        size = int(min(rng.integers(1, 13), n - i))
        word, place, name = rng.choice(_WORDS), rng.choice(_PLACES), rng.choice(_NAMES)
        number = int(rng.integers(2, 500))
        day = rng.uniform(0, 60)
        centroid = rng.standard_normal(dim)
        for k in range(size):
            when = start + pd.Timedelta(days=day + rng.uniform(0, 1.5))
            extra = rng.choice(_WORDS)
            rows.append(
                {
                    "id": f"a{i:07d}",
                    "title": f"{place} {word}: {name} says {number} affected ({extra})",
                    "text": f"{name} told reporters in {place} that the {word} affected {number} "
                    f"people. Officials in {place} expect more {extra} news. Report {k}.",
                    "published_at": when.isoformat(),
                    "language": "en",
                    "source": f"source{int(rng.integers(0, 40))}.example",
                    "url": None,
                }
            )
            v = centroid / np.linalg.norm(centroid) + 0.6 * rng.standard_normal(dim) / np.sqrt(dim)
            vectors.append(v / np.linalg.norm(v))
            i += 1
    frame = pd.DataFrame(rows)
    frame["embedding"] = list(np.asarray(vectors, dtype=np.float32))
    return frame


def run_single(n: int) -> dict:
    from storycluster.distributed import cluster_pandas

    frame = synthetic(n)
    t0 = time.perf_counter()
    _links, events = cluster_pandas(frame)
    return {"seconds": time.perf_counter() - t0, "events": len(events)}


def run_spark(n: int) -> dict:
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    from storycluster.distributed import spark as scs

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(f"local[{os.cpu_count() or 2}]")
        .config("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = synthetic(n)
    sdf = spark.createDataFrame(frame, schema=scs._input_schema(T)).cache()
    sdf.count()
    t0 = time.perf_counter()
    _assignments, events = scs.cluster_dataframe(sdf)
    n_events = events.count()
    seconds = time.perf_counter() - t0
    spark.stop()
    return {"seconds": seconds, "events": n_events}


def run_ray(n: int) -> dict:
    import ray

    from storycluster.distributed import ray as scr

    cpus = os.cpu_count() or 2
    temp_dir = tempfile.mkdtemp(prefix="sc-ray-")  # short: Ray puts Unix sockets under it
    try:
        scr.init_local(num_cpus=cpus, temp_dir=temp_dir)
        ray.data.DataContext.get_current().enable_progress_bars = False
        frame = synthetic(n)
        chunks = [frame.iloc[i : i + 2_000] for i in range(0, len(frame), 2_000)]
        ds = ray.data.from_pandas(chunks).materialize()
        t0 = time.perf_counter()
        _assignments, events = scr.cluster_dataset(ds)
        n_events = events.count()
        seconds = time.perf_counter() - t0
        ray.shutdown()
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return {"seconds": seconds, "events": n_events}


_RUNNERS = {"single": run_single, "spark": run_spark, "ray": run_ray}


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def measure(mode: str, n: int) -> dict:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--sizes", str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode != 0:
        return {"mode": mode, "n": n, "error": f"exit {proc.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    return {"mode": mode, "n": n, **result, "peak_mib": peak / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--modes", nargs="+", choices=list(_RUNNERS), default=list(_RUNNERS))
    parser.add_argument("--child", choices=list(_RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_RUNNERS[args.child](args.sizes[0])))
        return
    print(f"{'articles':>9} {'engine':>7} {'wall s':>8} {'peak MiB':>9} {'events':>8}")
    for n in args.sizes:
        for mode in args.modes:
            r = measure(mode, n)
            if "error" in r:
                print(f"{n:>9} {mode:>7} {r['error']}")
                continue
            print(f"{n:>9} {mode:>7} {r['seconds']:>8.1f} {r['peak_mib']:>9.0f} {r['events']:>8}")


if __name__ == "__main__":
    main()
