"""Shared test set-up: NumPy floating-point warnings are errors in every test."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _floating_point_errors_raise():
    old = np.seterr(over="raise", divide="raise", invalid="raise", under="ignore")
    yield
    np.seterr(**old)
