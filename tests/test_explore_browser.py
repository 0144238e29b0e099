"""The explorer in a real browser: headless Chromium loads the page, the strategy is changed, the figures
update, and the screenshot is not blank.

`.ci/run` installs Debian's Chromium when it is missing, and the test fetches the page's scripts with npm
(once). If either is missing all the same (no Debian mirror, no npm registry), this test is skipped with the
reason: the page's logic, its server and its figures are still tested without a browser
(tests/test_explore.py), so only the pixels are not. `python -m tests.test_explore_browser PNG` makes
the README's screenshot (the default scenario, side by side) the same way.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}


def browser_missing() -> str:
    """Why the browser test cannot run here ('' if it can)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return "no Chromium (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[test]')"
    from simulation.explore import assets

    if assets.missing():
        try:  # once per machine: from the npm registry into Solara's cache (no internet needed beyond it)
            assets.fetch()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            return f"the page's scripts could not be fetched ({exc}); python -m simulation.explore.assets"
    return ""


def shown(page) -> str:
    return page.inner_text(".buzzsim-shown")


def explore_in_browser(scenario: Path, screenshot: Path, side_by_side: bool = False, cwd: Path = ROOT) -> dict:
    """Serve a scenario, load the page headless, change the strategy, wait for the figures; screenshot."""
    from playwright.sync_api import sync_playwright

    from tests.test_explore import start_server

    proc, url, _ = start_server([str(scenario), "--workers", "2"], cwd)
    out = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.wait_for_selector(".buzzsim-shown", timeout=120_000)
            out["before"] = shown(page)
            images = page.locator("img")
            out["images_before"] = images.count()
            first_src = images.first.get_attribute("src")
            page.locator(".v-select", has_text="strategy").first.click()
            page.locator(".v-list-item", has_text="apology").first.click()
            page.wait_for_selector(".buzzsim-shown:has-text('of apology')", timeout=120_000)
            if side_by_side:
                page.locator("text=side by side").first.click()
                page.wait_for_selector(".buzzsim-shown:has-text(' and ')", timeout=120_000)
            page.wait_for_timeout(500)  # the images' data reach the page with the status line
            out["after"] = shown(page)
            out["images_after"] = page.locator("img").count()
            out["src_changed"] = page.locator("img").first.get_attribute("src") != first_src
            out["command"] = page.inner_text("code")
            page.screenshot(path=str(screenshot))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def test_page_in_a_headless_browser(tmp_path):
    from tests.test_explore import SCENARIO

    why = browser_missing()
    if why:
        pytest.skip(why)

    scenario = tmp_path / "explored.toml"
    scenario.write_text(tomli_w.dumps(SCENARIO))
    png = tmp_path / "explorer.png"
    started = time.monotonic()
    out = explore_in_browser(scenario, png)
    assert "of ignore" in out["before"] and "of apology" in out["after"]
    assert "--strategy apology" in out["command"]
    assert out["images_after"] >= 4 and out["src_changed"]  # reputation, posts, stances, neighbourhood: redrawn
    import matplotlib.image

    pixels = matplotlib.image.imread(png)[..., :3]
    assert pixels.shape[0] >= VIEWPORT["height"] and pixels.shape[1] >= VIEWPORT["width"]
    ink = (pixels < 0.9).any(axis=2)  # anything not white or near it
    assert ink.mean() > 0.05, "the screenshot is nearly blank"
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200, "the screenshot has too few colours to hold figures"
    assert time.monotonic() - started < 600


if __name__ == "__main__":  # the README's screenshot: python -m tests.test_explore_browser docs/figures/explore.png
    target = Path(sys.argv[1])
    VIEWPORT["height"] = 1500
    result = explore_in_browser(ROOT / "scenarios" / "default.toml", target.resolve(), side_by_side=True)
    print(result["after"], f"-> {target}")
