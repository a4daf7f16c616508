"""Throughput of the full per-die chain of the network Monte Carlo against the per-die sax loop of the
public layout-aware Monte Carlo tutorials, per CPU-second, in one process.

The chain (``wafer.network.evaluate_networks``): process variation sampled at the drawn dies -> every EO
section of every client die (``circuits.devices.transmitter_metrics``) and every server ring
(``ring_metrics``) -> the comb of each server die (``system.comb.comb_batch``) -> DBR set-point, injection
locking, adaptable circuit, error budget -> key rate per pair at the design's protocol -> the pairs and
networks tables. A network is 1 server die + 20 client dies; rates count dies.

The loop (``bench_yield.loop_rate``): per die, V_pi from the EO model and two calls of the IM's sax circuit
(on and off voltage) -- the tutorials' way, and only a fraction of the chain's physics.

Marginal rate: chunks after a warm-up (compilation and caches), CPU-seconds of this process (all threads),
at the network study's own chunk size (``wafer.network._NETWORKS_PER_CHUNK``) unless ``--networks`` says
otherwise.

Run: python benchmarks/bench_network.py [--loop-dies 100] [--networks N] [--chunks 3]
"""

from __future__ import annotations

import argparse
import time


def loop_rate_cpu(n: int) -> tuple[float, float, float]:
    import bench_yield

    bench_yield.loop_rate(5)  # warm the sax circuit
    c0, w0 = time.process_time(), time.perf_counter()
    bench_yield.loop_rate(n)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return n / cpu, cpu, wall


def chain_rate_cpu(networks: int, chunks: int) -> tuple[float, float, float]:
    from qchipnet.wafer.network import evaluate_networks, make_network_study

    st = make_network_study(networks * (2 * chunks + 1), 1)
    for i in range(chunks):  # warm-up: compile every batch bucket the chunks will use
        evaluate_networks(st, i * networks, (i + 1) * networks)
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(chunks, 2 * chunks):
        evaluate_networks(st, i * networks, (i + 1) * networks)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    dies = chunks * networks * 21
    return dies / cpu, cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loop-dies", type=int, default=100)
    ap.add_argument("--networks", type=int, default=0, help="networks per chunk (0: the study's chunk size)")
    ap.add_argument("--chunks", type=int, default=3)
    a = ap.parse_args()
    from qchipnet.wafer.network import _NETWORKS_PER_CHUNK

    networks = a.networks or _NETWORKS_PER_CHUNK
    r_loop, lcpu, lwall = loop_rate_cpu(a.loop_dies)
    print(f"per-die sax loop (IM only)  : {r_loop:12.1f} dies/CPU-s ({a.loop_dies} dies: {lcpu:.2f} CPU-s, "
          f"{lwall:.2f} s wall)")
    r, cpu, wall = chain_rate_cpu(networks, a.chunks)
    print(f"network chain (full, batch) : {r:12.1f} dies/CPU-s ({a.chunks} x {networks} networks of 21 dies: "
          f"{cpu:.2f} CPU-s, {wall:.2f} s wall)")
    print(f"ratio                       : {r / r_loop:12.1f} x per CPU-second")


if __name__ == "__main__":
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    main()
