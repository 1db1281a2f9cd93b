"""Package map for the repository layout fixed by ARCHITECTURE §2.

The repository keeps ``core/`` and ``modules/<name>/`` at its root, but they are
installed as ``siprouter.core`` and ``siprouter.modules.<name>``; nothing named
``core``, ``modules`` or ``config`` lands at the top of site-packages.  The
package list is computed here because pyproject.toml cannot express a walk
over remapped folders.
"""
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
MAPPED = {"siprouter": "siprouter", "siprouter.core": "core", "siprouter.modules": "modules"}


def _walk(prefix: str, folder: str) -> list[str]:
    found = []
    for init in sorted((ROOT / folder).rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT / folder)
        parts = [p for p in rel.parts if p]
        if "__pycache__" in parts or "tests" in parts:
            continue
        found.append(".".join([prefix, *parts]))
    return found


packages = []
package_dir = dict(MAPPED)
for name, folder in MAPPED.items():
    for pkg in _walk(name, folder):
        packages.append(pkg)
        if pkg not in MAPPED:
            package_dir[pkg] = folder + "/" + pkg[len(name) + 1:].replace(".", "/")

# The default configuration ships inside the package so that `siprouter`
# without -f works from any folder (data only: no code in config/).
packages.append("siprouter.default_config")
package_dir["siprouter.default_config"] = "config"

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={
        "siprouter.default_config": ["*.toml", "*.cfg", "examples/*", "examples/*/*"],
        "": ["*.md"],
    },
)
