import os
import sys
import tempfile

import pytest

# Keep the disk cache of the test run out of the user's cache folder.
os.environ.setdefault("S2SAD_CACHE_DIR", tempfile.mkdtemp(prefix="s2sad-test-cache-"))
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(0)
