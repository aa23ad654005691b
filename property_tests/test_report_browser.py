"""The report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Every page is opened from disk; the test asserts that the math renders as MathML with a
non-zero size (and that fractions are laid out as fractions, taller than their numerators),
that no page logs a console error or an uncaught exception, that no request fails, that every
image loads and every link (file and #anchor) resolves, and saves screenshots under
``out/report-browser/`` (and the test's tmp folder).

Playwright only drives the system browser (``executable_path``): it never downloads one. The
test skips only where no Chromium is installed; ``.ci/run`` installs it (``apt-get install -y
chromium``), so CI runs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from report_build import built_report

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "report-browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("DERIVSPEC_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@contextlib.contextmanager
def chromium_page(profile: Path):
    """A page of headless Chromium (the system's, never a download) with a fresh profile folder;
    the test skips where no Chromium or no playwright is installed."""
    chromium = chromium_path()
    if chromium is None:
        pytest.skip("no Chromium on this machine: `apt-get install -y chromium` (.ci/run does this)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright missing: pip install '.[test]'")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, offline=True)
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return built_report(tmp_path_factory)


def open_page(page, path: Path) -> dict:
    """Load a page; return its console errors, page errors and failed requests."""
    problems = {"console": [], "pageerror": [], "requestfailed": []}
    on_console = lambda m: problems["console"].append(m.text) if m.type == "error" else None  # noqa: E731
    on_error = lambda err: problems["pageerror"].append(str(err))  # noqa: E731
    on_failed = lambda req: problems["requestfailed"].append(req.url)  # noqa: E731
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.on("requestfailed", on_failed)
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)
        page.remove_listener("requestfailed", on_failed)
    return problems


def ids_in(path: Path) -> set[str]:
    return set(re.findall(r"""\bid=["']([^"']+)["']""", path.read_text(encoding="utf-8")))


MATH_SIZES = """() => [...document.querySelectorAll('math')].map(m => {
    const r = m.getBoundingClientRect(); return [r.width, r.height, m.getAttribute('data-tex') || ''];
})"""
FRACTIONS = """() => [...document.querySelectorAll('mfrac')].slice(0, 50).map(f => {
    const whole = f.getBoundingClientRect(), top = f.firstElementChild.getBoundingClientRect();
    return [whole.height, top.height];
})"""
IMAGES = """() => [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight])"""
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"""


def test_every_page_renders_without_errors(browser_page, report):
    pages = sorted(report.glob("*.html"))
    assert len(pages) >= 7
    math_total = 0
    for path in pages:
        problems = open_page(browser_page, path)
        assert problems == {"console": [], "pageerror": [], "requestfailed": []}, f"{path.name}: {problems}"
        sizes = browser_page.evaluate(MATH_SIZES)
        flat = [(w, h, tex) for w, h, tex in sizes if not (w > 0 and h > 0)]
        assert not flat, f"{path.name}: math with zero size: {flat[:3]}"
        math_total += len(sizes)
        for src, complete, width, height in browser_page.evaluate(IMAGES):
            assert complete and width > 0 and height > 0, f"{path.name}: image {src} did not load"
        for href in browser_page.evaluate(LINKS):
            assert not href.startswith(("http:", "https:", "//")), f"{path.name}: external link {href}"
            target, _, fragment = urllib.parse.unquote(href).partition("#")
            target_path = report / target if target else path
            assert target_path.exists(), f"{path.name}: broken link {href}"
            if fragment:
                assert fragment in ids_in(target_path), f"{path.name}: link {href} names no element"
    assert math_total > 50


def test_mathml_is_laid_out_as_math(browser_page, report):
    """A fraction is taller than its numerator: Chromium lays the MathML out (MathML Core),
    it does not show the elements' text in a line."""
    open_page(browser_page, report / "family-kl.html")
    fractions = browser_page.evaluate(FRACTIONS)
    assert fractions, "the KL page has fractions"
    assert all(whole > 1.6 * top > 0 for whole, top in fractions), fractions[:5]


def test_screenshots(browser_page, report, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, full in (("index.html", True), ("family-kl.html", False), ("lectures.html", False), ("models.html", False)):
        open_page(browser_page, report / name)
        shot = tmp_path / name.replace(".html", ".png")
        browser_page.screenshot(path=str(shot), full_page=full)
        assert shot.stat().st_size > 10_000
        shutil.copy(shot, SHOTS / shot.name)
