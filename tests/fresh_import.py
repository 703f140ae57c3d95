"""Importing a test's module file as a new module each time (never the module cache)."""

import importlib.util
import itertools
import os

_unique = itertools.count()


def import_file(path):
    """Import `path` as a brand-new module, under a name no other import uses."""
    name = f"_s2sad_test_module_{os.getpid()}_{next(_unique)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
