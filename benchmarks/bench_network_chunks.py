"""Chunk size of the network Monte Carlo's run folder (``wafer.network._NETWORKS_PER_CHUNK``): the marginal
rate of one chunk evaluation (``wafer.network.evaluate_networks``) against the chunk's size, and the cost of
the run folder (one checked Parquet write per chunk, the manifest, the final tables) against evaluating the
same networks in memory, in one process.

Per chunk there is a fixed cost (sampling set-up, the design reference, jax dispatch, the per-chunk Python of
the chain) and padded batches (``circuits.devices`` pads a batch to the next power of two, so 20 n client dies
fill 20 n / 2^ceil(log2 20 n) of the program). Marginal rate: each size is evaluated once to compile its
buckets, then ``--repeat`` rounds of one chunk per size are timed (CPU-seconds of this process, all
threads, and wall).

Run: python benchmarks/bench_network_chunks.py [--sizes 256,512,819,1024,1638,2048,3276] [--repeat 4]
     [--store-networks 8190]
"""

from __future__ import annotations

import argparse
import tempfile
import time


def chunk_rates(sizes: list[int], repeat: int) -> list[tuple[int, float, float, float]]:
    """(size, dies/CPU-s, CPU-s, wall-s) per chunk size: every size compiled first, then ``repeat`` rounds
    that evaluate one chunk of each size in turn (so a load change of the machine hits every size alike)."""
    from qchipnet.wafer.network import evaluate_networks, make_network_study

    st = make_network_study(1_000_000, 1)
    start = 0
    for n in sizes:  # compile every size's buckets
        evaluate_networks(st, start, start + n)
        start += n
    cpu, wall = dict.fromkeys(sizes, 0.0), dict.fromkeys(sizes, 0.0)
    for _ in range(repeat):
        for n in sizes:
            c0, w0 = time.process_time(), time.perf_counter()
            evaluate_networks(st, start, start + n)
            cpu[n] += time.process_time() - c0
            wall[n] += time.perf_counter() - w0
            start += n
    return [(n, repeat * n * 21 / cpu[n], cpu[n], wall[n]) for n in sizes]


def store_overhead(networks: int) -> tuple[float, float, float, float]:
    """CPU-s of the study through its run folder (chunk writes, manifest, final tables, summary) vs the same
    chunks evaluated in memory, everything compiled first."""
    from qchipnet.wafer import network as N

    st = N.make_network_study(networks, 2)
    N.evaluate_networks(st, 0, min(networks, N._NETWORKS_PER_CHUNK))  # compile the chunk's programs
    with tempfile.TemporaryDirectory() as tmp:  # and the summary's (protocol re-optimisation check)
        N.run_network_study(N.make_network_study(min(networks, N._NETWORKS_PER_CHUNK), 3), tmp + "/warm")
    c0, w0 = time.process_time(), time.perf_counter()
    for s in range(0, networks, N._NETWORKS_PER_CHUNK):
        N.evaluate_networks(st, s, min(s + N._NETWORKS_PER_CHUNK, networks))
    mem_cpu, mem_wall = time.process_time() - c0, time.perf_counter() - w0
    with tempfile.TemporaryDirectory() as tmp:
        c0, w0 = time.process_time(), time.perf_counter()
        N.run_network_study(st, tmp + "/run")
        run_cpu, run_wall = time.process_time() - c0, time.perf_counter() - w0
    return mem_cpu, mem_wall, run_cpu, run_wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,512,819,1024,1638,2048,3276")
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--store-networks", type=int, default=0, help="also time a study of this many networks through "
                    "its run folder against evaluating it in memory (0: skip)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    rows = chunk_rates(sizes, a.repeat)
    base = rows[0][1]
    print(f"{'networks/chunk':>14} {'dies/CPU-s':>12} {'CPU-s':>8} {'wall s':>8} {'vs ' + str(rows[0][0]):>8}")
    for n, r, cpu, wall in rows:
        print(f"{n:14d} {r:12.0f} {cpu:8.2f} {wall:8.2f} {r / base:8.2f}x")
    if a.store_networks:
        mem_cpu, mem_wall, run_cpu, run_wall = store_overhead(a.store_networks)
        print(f"{a.store_networks} networks in memory   : {mem_cpu:8.2f} CPU-s {mem_wall:8.2f} s wall")
        print(f"{a.store_networks} networks, run folder : {run_cpu:8.2f} CPU-s {run_wall:8.2f} s wall "
              f"(ratio {run_cpu / mem_cpu:.3f} CPU, {run_wall / mem_wall:.3f} wall)")


if __name__ == "__main__":
    main()
