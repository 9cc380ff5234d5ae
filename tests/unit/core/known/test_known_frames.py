"""TEME -> GCRS against the published worked example of Vallado et al. (2006)."""

from __future__ import annotations

import erfa
import numpy as np

from core.known.frames import gcrs_to_teme


def test_vallado_2006_teme_example() -> None:
    # Vallado, Crawford, Hujsak & Kelso 2006, AIAA 2006-6753, "Revisiting Spacetrack Report
    # #3", TEME example: 2004 April 6 07:51:28.386009 UTC, r_TEME and r_GCRF (km)
    d1, d2 = erfa.dtf2d("UTC", 2004, 4, 6, 7, 51, 28.386009)
    r_teme = np.array([5094.18016210, 6127.64465950, 6380.34453270])
    r_gcrf = np.array([5102.50895790, 6123.01140070, 6378.13692820])
    rot = gcrs_to_teme(np.array([d1 + d2]))[0]
    assert np.max(np.abs(rot.T @ r_teme - r_gcrf)) < 0.002  # km: IAU 2006/2000A vs IAU-76/FK5
    assert np.allclose(rot @ rot.T, np.eye(3), atol=1e-14)
