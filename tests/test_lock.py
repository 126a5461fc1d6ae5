"""The locks (`make lock`) hold every dependency pyproject.toml names, pinned with hashes.

`make run` and `make test` install only from requirements.lock and requirements-dev.lock, so a
dependency added to pyproject.toml without `make lock` would be missing on a fresh machine: these
tests fail first.
"""

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
DEV = [Requirement(text) for text in PYPROJECT["project"]["optional-dependencies"]["dev"]]


def read_lock(path: Path) -> dict[str, tuple[Version, list[str]]]:
    """Parse a hashed requirements file into {canonical name: (pinned version, hashes)}.

    Fails on any entry that is not pinned with `==` (pip's --require-hashes would refuse it).
    """
    name = path.name
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        spec = Requirement(requirement.split(";", 1)[0])
        pinned = [s for s in spec.specifier if s.operator == "=="]
        assert len(pinned) == 1, f"{name}: {requirement} is not pinned with =="
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=sha256:")]
        pins[canonicalize_name(spec.name)] = (Version(pinned[0].version), hashes)
    return pins


def extra_requirements(requirement: Requirement) -> list[Requirement]:
    """What `requirement`'s extras (psycopg[binary]) add, as the installed distribution says."""
    added = []
    for extra in requirement.extras:
        for text in metadata.requires(requirement.name) or []:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker and "extra" in str(marker) and marker.evaluate({"extra": extra}):
                added.append(dependency)
    return added


def assert_pinned(lock: Path, requirements: list[Requirement]) -> None:
    lock_name = lock.name
    pins = read_lock(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in {lock_name}: make lock"
        version, hashes = pins[name]
        assert hashes, f"{name}=={version} has no hash in {lock_name}"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock_name} pins {name}=={version}, outside pyproject.toml's {requirement}: make lock"
        )
        for added in extra_requirements(requirement):
            assert canonicalize_name(added.name) in pins, f"{lock_name} lacks {added.name}"


@pytest.mark.parametrize(
    ("lock_name", "requirements"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + DEV)],
    ids=["runtime", "dev"],
)
def test_every_pyproject_dependency_is_pinned_with_a_hash(lock_name, requirements):
    assert_pinned(ROOT / lock_name, requirements)


def test_every_locked_package_has_a_hash():
    for lock_name in ("requirements.lock", "requirements-dev.lock"):
        unhashed = [name for name, (_, hashes) in read_lock(ROOT / lock_name).items() if not hashes]
        assert unhashed == [], f"{lock_name}: no hash for {unhashed}"


def test_tests_run_on_the_versions_the_portal_serves():
    """The dev lock is compiled against the runtime lock: the same version of each package."""
    runtime = read_lock(ROOT / "requirements.lock")
    dev = read_lock(ROOT / "requirements-dev.lock")
    differ = {n: (str(v), str(dev.get(n, (None,))[0])) for n, (v, _) in runtime.items()
              if dev.get(n, (None,))[0] != v}
    assert differ == {}


def test_a_dependency_missing_from_the_lock_is_reported(tmp_path):
    """The check itself: a new pyproject dependency without `make lock` fails it."""
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "flask==3.1.3 \\\n    --hash=sha256:" + "0" * 64 + "\n", encoding="utf-8"
    )
    with pytest.raises(AssertionError, match="not in requirements.lock"):
        assert_pinned(lock, [Requirement("flask>=3.1"), Requirement("nh3>=0.2")])
    with pytest.raises(AssertionError, match="outside pyproject"):
        assert_pinned(lock, [Requirement("flask>=4")])
