import os
import sys
import tempfile

import pytest

# Keep the disk cache of the test run out of the user's cache folder.
os.environ.setdefault("S2SAD_CACHE_DIR", tempfile.mkdtemp(prefix="s2sad-test-cache-"))
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _user_primitives_stay_in_their_test():
    """Forget the primitives a test registers with @s2sad.primitive, so that no test sees
    another's (the suite runs in a random order)."""
    from s2sad.rules import REGISTRY, user

    by_name, by_object = dict(REGISTRY.by_name), dict(REGISTRY._by_object)
    functions = dict(user.USER_FUNCTIONS)
    yield
    REGISTRY.by_name.clear()
    REGISTRY.by_name.update(by_name)
    REGISTRY._by_object.clear()
    REGISTRY._by_object.update(by_object)
    user.USER_FUNCTIONS.clear()
    user.USER_FUNCTIONS.update(functions)


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(0)
