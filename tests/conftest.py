"""Shared test set-up: NumPy floating-point warnings are errors in every test."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _floating_point_errors_raise():
    old = np.seterr(over="raise", divide="raise", invalid="raise", under="ignore")
    yield
    np.seterr(**old)


# -- a real headless browser for the report and playground tests -------------------------
# CI (.ci/run) installs Debian's chromium and sets NEURONLAB_REQUIRE_BROWSER=1, so there
# these tests fail instead of skipping when the browser is missing.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _chromium_path() -> str | None:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    """A Playwright Chromium browser driving the system's chromium (never a download)."""
    import os

    path = _chromium_path()
    message = ("no Chromium found: browser tests skipped. To run them, install Debian's "
               "`chromium` (apt-get install chromium) and the test extra (`make test`).")
    if path is None:
        if os.environ.get("NEURONLAB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()
