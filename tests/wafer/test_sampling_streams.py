"""The network Monte Carlo's random streams: one per network, independent of the chunk that holds it, and
the die draw a uniformly random ordered draw without replacement."""

from __future__ import annotations

import numpy as np
import pytest


def test_network_draws_are_philox_keyed_by_seed_and_network():
    from qchipnet.wafer.network import _DRAW_STREAM, network_draws

    keys, z, u = network_draws(5, range(3, 6), (10, 7, 4))
    for r, i in enumerate(range(3, 6)):
        g = np.random.Generator(np.random.Philox(key=(5 << 64) | (i << 8) | _DRAW_STREAM))
        np.testing.assert_array_equal(keys[r], g.random(10))
        np.testing.assert_array_equal(z[r], g.standard_normal(7))
        np.testing.assert_array_equal(u[r], g.random(4))
    other, = network_draws(6, range(3, 4), (10,))
    assert not np.array_equal(other[0], keys[0])  # another seed, another stream


def test_client_samples_do_not_depend_on_the_chunk():
    from qchipnet.wafer.network import _sample_clients, make_network_study

    st = make_network_study(40, 3)
    a = _sample_clients(st, range(10, 14), 20)
    b = _sample_clients(st, range(8, 20), 20)
    np.testing.assert_array_equal(a[2], b[2][2:6])
    for k, v in a[0].items():
        np.testing.assert_array_equal(v, b[0][k][40:120])
    for k, v in a[1].items():
        np.testing.assert_array_equal(v, b[1][k][40:120])


def test_die_draw_is_uniform_and_without_replacement():
    """Every die of the wafer is drawn equally often and never twice in one network (chi-square over
    2000 networks of 20 of the wafer's dies)."""
    from qchipnet.wafer.network import _plan, _sample_clients, make_network_study
    from scipy.stats import chisquare

    st = make_network_study(2000, 11)
    ids = _sample_clients(st, range(2000), 20)[2]
    assert all(len(set(row)) == 20 for row in ids.tolist())
    plan_ids = _plan(st.design, "inp").ids()
    counts = np.array([np.sum(ids == i) for i in plan_ids])
    assert chisquare(counts).pvalue > 1e-3
    first = np.array([np.sum(ids[:, 0] == i) for i in plan_ids])  # the seat order is random too
    assert first.sum() == 2000 and chisquare(first).pvalue > 1e-3


@pytest.mark.parametrize("m", [3, 20])
def test_batch_cholesky_factors_the_covariance(m):
    from qchipnet.wafer.variation import _cholesky_batch, _cholesky_deterministic

    rng = np.random.default_rng(m)
    pos = rng.uniform(-30, 30, (64, m, 2))
    d2 = ((pos[:, :, None] - pos[:, None]) ** 2).sum(-1)
    cov = np.exp(-d2 / (2 * 12.0**2)) + 1e-9 * np.eye(m)
    L = _cholesky_batch(cov)
    np.testing.assert_allclose(L @ np.swapaxes(L, 1, 2), cov, atol=1e-12)
    assert np.all(np.triu(L, 1) == 0)
    np.testing.assert_allclose(L[7], _cholesky_deterministic(cov[7]), atol=1e-12)
