import os
import sys
import tempfile

import pytest

# The suite must not depend on the developer's settings (a cache folder, the cache turned off,
# its limits): forget every S2SAD_* variable, and keep the disk cache of anything that runs
# before the first test (module imports) out of the user's cache folder. S2SAD_UPDATE_GOLDEN
# is the suite's own switch (tests/test_golden.py), not a setting of s2sad: it stays.
for _name in [name for name in os.environ if name.startswith("S2SAD_")
              and name != "S2SAD_UPDATE_GOLDEN"]:
    del os.environ[_name]
os.environ["S2SAD_CACHE_DIR"] = tempfile.mkdtemp(prefix="s2sad-test-cache-")
sys.path.insert(0, os.path.dirname(__file__))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files of tests/test_golden.py with what the code "
                     "gives now (then read the diff)")


@pytest.fixture
def update_golden(request) -> bool:
    """Whether to rewrite golden files: ``--update-golden`` or S2SAD_UPDATE_GOLDEN=1."""
    return bool(request.config.getoption("--update-golden")
                or os.environ.get("S2SAD_UPDATE_GOLDEN"))


@pytest.fixture(autouse=True)
def _disk_cache_of_its_own(tmp_path_factory, monkeypatch):
    """Each test gets an empty disk cache folder (subprocesses inherit it); the variables a
    test sets are restored after it."""
    monkeypatch.setenv("S2SAD_CACHE_DIR", str(tmp_path_factory.mktemp("s2sad-cache")))
    for name in [name for name in os.environ if name.startswith("S2SAD_CACHE_") and
                 name != "S2SAD_CACHE_DIR"] + ["S2SAD_CACHE"]:
        monkeypatch.delenv(name, raising=False)


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
