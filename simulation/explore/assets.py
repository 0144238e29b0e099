"""The page's scripts and styles, for a machine without the internet.

Solara's page loads its front end (Vue, Vuetify, RequireJS, Font Awesome) through its own server,
which fetches each file once from a CDN of npm packages and keeps it in a cache folder
(`solara.server.settings.assets.proxy_cache_dir`). On a machine that reaches the npm registry but
not that CDN (a CI runner, a locked-down network), `python -m simulation.explore.assets` fills
that cache with the same packages fetched by npm (`npm pack`), unpacked where the CDN's files would
go. The packages are read from Solara's own page template, so they follow Solara's version.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# `{{cdn}}/<package>@<version>/...` in Solara's page template, and the Font Awesome path setting
PACKAGE = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.-]*)/")
FONT_AWESOME = re.compile(r"^/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.-]*)/")
NPM_TIMEOUT_S = 300


def cache_dir() -> Path:
    """Solara's cache of CDN files (what its server sends the browser)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def packages() -> list[str]:
    """The npm packages the page loads (`name@version`), as Solara's page template names them."""
    import ipyvue
    import solara.server
    from solara.server import settings

    template = (Path(solara.server.__file__).parent / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    vue3 = ipyvue.__version__.startswith("3")  # the template's two front ends: Vue 3 or Vue 2
    found = []
    for name, version in PACKAGE.findall(template):
        if name.endswith("solara-vuetify-app" if vue3 else "solara-vuetify3-app"):
            continue
        found.append(f"{name}@{version}")
    if settings.assets.fontawesome_enabled:
        m = FONT_AWESOME.match(settings.assets.fontawesome_path)
        if m:
            found.append(f"{m.group(1)}@{m.group(2)}")
    return list(dict.fromkeys(found))


def missing() -> list[str]:
    """The packages not in Solara's cache yet."""
    root = cache_dir()
    return [p for p in packages() if not (root / p / "package.json").is_file()]


def fetch(names: list[str] | None = None, out=sys.stdout) -> list[str]:
    """Fetch packages with npm into Solara's cache (default: the missing ones); returns those fetched.

    Each is unpacked into a temporary folder beside its place, then renamed: a cache holds whole
    packages or none. Raises RuntimeError (one line) when npm is missing or fails.
    """
    names = missing() if names is None else names
    if not names:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (it fetches the page's scripts from the npm registry)")
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="buzzsim-assets-") as tmp:
        done = subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", tmp, *names],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"npm pack {' '.join(names)} failed: {last}")
        for tarball in sorted(Path(tmp).glob("*.tgz")):
            with tarfile.open(tarball) as archive:
                meta = json.load(archive.extractfile("package/package.json"))
                name = f"{meta['name']}@{meta['version']}"  # where the CDN serves it
                place = root / name
                place.parent.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=place.parent))
                archive.extractall(staging, filter="data")  # npm tarballs hold one folder: package/
            if place.exists():
                shutil.rmtree(place)
            (staging / "package").rename(place)
            shutil.rmtree(staging, ignore_errors=True)
            print(f"cached {name} in {place}", file=out)
    return names


def main() -> int:
    """`python -m simulation.explore.assets`: fetch the missing packages; exit 1 with one line if npm fails."""
    try:
        fetched = fetch()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"error: the explorer's page scripts: {exc}", file=sys.stderr)
        return 1
    if not fetched:
        print(f"the explorer's page scripts are all in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
