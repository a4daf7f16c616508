"""PDKs: materials against the physics reference, layer stacks, cross-sections, process data, lyp."""

from __future__ import annotations

import numpy as np
import pytest

from qchipnet.pdk import PLATFORMS, activated, get_pdk, get_platform, lyp_path
from qchipnet.pdk import materials as M
from qchipnet.validate import InputError


@pytest.mark.parametrize(
    "material, n_ref, tol",
    [
        # physics.md 1.4 (tidy3d Luke2015 1.9983, meow silica 1.4440) and 4.1 (MSO table)
        (M.si3n4, 1.9983, 3e-3),
        (M.sio2, 1.4440, 2e-4),
        (M.inp, 3.169, 5e-3),
        (M.ingaasp(1.06), 3.259, 2e-3),
        (M.ingaasp(1.10), 3.282, 2e-3),
        (M.ingaasp(1.25), 3.364, 2e-3),
        (M.ingaasp(1.30), 3.389, 2e-3),
        (M.bcb, 1.535, 5e-3),
    ],
)
def test_material_index_at_1550(material, n_ref, tol):
    assert abs(material.n(1.55) - n_ref) < tol


@pytest.mark.parametrize("name", ["Si3N4", "SiO2", "InP", "Q1.25", "Q1.06", "BCB"])
def test_normal_material_dispersion_in_band(name):
    """All these are transparent in the C band: n falls with wavelength and n_g > n."""
    m = M.get_material(name)
    wl = np.linspace(1.50, 1.60, 11)
    n = m.n(wl)
    assert np.all(np.diff(n) < 0)
    assert np.all(m.n_group(wl) > n)


def test_quaternary_index_rises_with_bandgap_wavelength():
    ns = [M.ingaasp(lg).n(1.55) for lg in (1.0, 1.1, 1.2, 1.3, 1.4)]
    assert np.all(np.diff(ns) > 0)
    assert M.inp.n(1.55) < ns[0]


def test_material_rejects_out_of_range():
    with pytest.raises(InputError, match="wl_um"):
        M.si3n4.n(0.1)
    with pytest.raises(InputError, match="wl_um"):
        M.ingaasp(1.25).n(1.3)  # above the gap: absorbing, the model does not apply
    with pytest.raises(InputError, match="unknown material"):
        M.get_material("unobtainium")
    with pytest.raises(InputError, match="lambda_g_um"):
        M.ingaasp(2.0)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pdk_builds_and_activates_explicitly(platform):
    import gdsfactory as gf
    import gdsfactory.pdk as gp

    pdk = get_pdk(platform)
    assert get_pdk(platform) is pdk  # cached
    before = gp._ACTIVE_PDK
    with activated(platform):
        assert gf.get_active_pdk().name == f"qchipnet_{platform}_tech"
        xs = sorted(pdk.cross_sections)
        assert xs
    assert gp._ACTIVE_PDK is before


@pytest.mark.parametrize("platform", PLATFORMS)
def test_layer_views_match_committed_lyp(platform, tmp_path):
    out = tmp_path / "x.lyp"
    get_pdk(platform).layer_views.to_lyp(out)
    assert out.read_text() == lyp_path(platform).read_text(), "regenerate with: qchipnet pdk --lyp"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_process_data_sourced(platform):
    proc = get_platform(platform).process
    assert proc.parameters
    for p in proc.parameters.values():
        assert p.source and len(p.source) > 10
        assert p.sigma_total >= 0
    for d in proc.defects.values():
        assert 0 <= d.p_fail <= 1 and d.source


def test_process_overrides_validated():
    proc = get_platform("sin").process
    new = proc.with_overrides({"thickness_nm": {"sigma_wafer": 2.0}})
    assert new["thickness_nm"].sigma_wafer == 2.0 and proc["thickness_nm"].sigma_wafer != 2.0
    with pytest.raises(InputError, match="unknown parameter"):
        proc.with_overrides({"thicknes_nm": {"sigma_wafer": 1}})
    with pytest.raises(InputError, match="unknown field"):
        proc.with_overrides({"thickness_nm": {"sigma": 1}})
    with pytest.raises(InputError):
        proc.with_overrides({"thickness_nm": {"sigma_wafer": -1}})


def test_sin_cross_section_enforces_bend_radius():
    from qchipnet.pdk.sin import min_bend_radius_um, xs_sin

    assert min_bend_radius_um(100) == 400.0
    assert min_bend_radius_um(200) < min_bend_radius_um(100)
    with pytest.raises(InputError, match="radius"):
        xs_sin(radius=300.0)
    with pytest.raises(InputError, match="width"):
        xs_sin(width=0.1)
    assert xs_sin().radius_min == 400.0


def test_inp_cross_sections():
    from qchipnet.pdk.inp import xs_deep, xs_shallow

    assert xs_deep().radius_min == 100.0
    assert xs_shallow().radius_min == 500.0
    with pytest.raises(InputError, match="radius"):
        xs_shallow(radius=200.0)


def test_unknown_platform():
    with pytest.raises(InputError, match="choose one of"):
        get_pdk("gaas")
