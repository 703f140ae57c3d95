"""What the package page shows: the metadata a build writes (URLs, classifiers, keywords, the
license file), the LICENSE itself and the changelog."""

import re
import shutil
import subprocess
import sys
from email.parser import Parser
from pathlib import Path

import pytest

import s2sad

ROOT = Path(__file__).resolve().parents[1]
URLS = {"Homepage", "Documentation", "Repository", "Issues", "Changelog"}


def load_pyproject():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):
    """PKG-INFO as setuptools writes it for the project (built from a copy, so the source tree
    gets no egg-info folder)."""
    pytest.importorskip("setuptools")
    copy = tmp_path_factory.mktemp("project")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "s2sad", copy / "s2sad",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                           "egg_info", "--egg-base", str(copy)], cwd=copy,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return Parser().parsestr((copy / "s2sad.egg-info" / "PKG-INFO").read_text())


def test_pyproject_declares_urls_keywords_classifiers_and_license():
    project = load_pyproject()["project"]
    assert set(project["urls"]) == URLS
    assert "automatic differentiation" in project["keywords"]
    assert "License :: OSI Approved :: MIT License" in project["classifiers"]
    assert project["license"] == {"text": "MIT"}


def test_python_classifiers_start_at_the_required_version():
    project = load_pyproject()["project"]
    minimum = re.fullmatch(r">=3\.(\d+)", project["requires-python"]).group(1)
    versions = sorted(int(c.rsplit(".", 1)[1]) for c in project["classifiers"]
                      if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert versions[0] == int(minimum)
    assert versions == list(range(versions[0], versions[-1] + 1))


def test_built_metadata_has_urls_classifiers_keywords_and_the_license_file(metadata):
    assert metadata["Name"] == "s2sad" and metadata["Version"] == s2sad.__version__
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL"))
    assert set(urls) == URLS
    assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier")
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert "source-to-source" in metadata["Keywords"].split(",")
    assert metadata["License"] == "MIT" and metadata["License-File"] == "LICENSE"
    assert "# s2sad" in metadata.get_payload()  # the README is the long description


def test_project_urls_that_name_files_name_files_that_exist():
    urls = load_pyproject()["project"]["urls"]
    repository = urls["Repository"]
    assert urls["Homepage"] == repository and urls["Issues"] == repository + "/issues"
    for key in ("Documentation", "Changelog"):
        assert urls[key].startswith(repository + "/blob/main/")
        assert (ROOT / urls[key][len(repository + "/blob/main/"):]).is_file(), key


def test_license_is_mit_for_the_s2sad_authors():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} the s2sad authors$", text, re.M)
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text


def test_changelog_has_an_unreleased_section_and_the_current_version():
    headings = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings[0] == "Unreleased"
    assert s2sad.__version__ in headings
