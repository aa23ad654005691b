"""The annotated lecture view in a real browser: headless Chromium (Debian's ``chromium``) driven
by Playwright, as test_report_browser.py does (never a downloaded browser).

A lecture written for the test (one wrong formula, one right one) is scanned and written by
``derivspec scan --html``; the test opens the page, checks that the flagged line is visible and
coloured with the flag colour (its computed style), that the correct form's MathML is laid out
(a real box; its fraction taller than its numerator), that nothing logs an error, and saves a
screenshot of the flagged line and its flag (the test's tmp folder and ``out/annotated-browser/``)
whose pixels hold the flag colours.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from test_annotated import LECTURE, RIGHT, WRONG
from test_report_browser import open_page

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "annotated-browser"


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """``derivspec scan gaussians.md --html out``: the folder written."""
    from derivspec.app.cli import main

    folder = tmp_path_factory.mktemp("annotated-browser")
    lecture = folder / "gaussians.md"
    lecture.write_text(LECTURE, encoding="utf-8")
    assert main(["scan", str(lecture), "--html", str(folder / "out"), "--jobs", "1"]) == 1
    return folder / "out"


def rgb(color: str) -> tuple[int, int, int]:
    """``#ffebe9`` or ``rgb(255, 235, 233)`` as a triple."""
    color = color.strip()
    if color.startswith("#"):
        return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(x)) for x in color[color.index("(") + 1:color.index(")")].split(",")[:3])


STYLE = """([line, note]) => {
    const css = name => getComputedStyle(document.documentElement).getPropertyValue(name);
    const row = document.getElementById(line), flag = document.getElementById(note);
    const box = row.getBoundingClientRect(), src = row.querySelector('td.src');
    return {flaggedBg: css('--flagged-bg'), flaggedEdge: css('--flagged-edge'), provedBg: css('--proved-bg'),
            background: getComputedStyle(row).backgroundColor, shadow: getComputedStyle(src).boxShadow,
            noteBorder: getComputedStyle(flag.querySelector('.flag-note')).borderLeftColor,
            box: [box.width, box.height]};
}"""
CORRECT_MATH = """() => [...document.querySelectorAll('.flag-note dd.correct math')].map(m => {
    const r = m.getBoundingClientRect(), f = m.querySelector('mfrac');
    return {width: r.width, height: r.height, frac: f ? f.getBoundingClientRect().height : 0,
            numerator: f ? f.firstElementChild.getBoundingClientRect().height : 0};
})"""


def test_flagged_line_is_coloured_and_its_flag_laid_out(browser_page, annotated, tmp_path):
    page_path = annotated / "lecture-gaussians.md.html"
    problems = open_page(browser_page, page_path)
    assert problems == {"console": [], "pageerror": [], "requestfailed": []}, problems
    line = browser_page.locator(f"#L{WRONG}")
    assert line.is_visible() and browser_page.locator("#flag-1 .flag-note").is_visible()
    style = browser_page.evaluate(STYLE, [f"L{WRONG}", "flag-1"])
    assert style["box"][0] > 0 and style["box"][1] > 0
    assert rgb(style["background"]) == rgb(style["flaggedBg"]) != rgb(style["provedBg"]), style
    assert rgb(style["flaggedEdge"]) in [rgb(c) for c in re.findall(r"rgba?\([^)]*\)", style["shadow"])], style
    assert rgb(style["noteBorder"]) == rgb(style["flaggedEdge"])
    proved = browser_page.evaluate(STYLE, [f"L{RIGHT}", "flag-1"])
    assert rgb(proved["background"]) == rgb(style["provedBg"])

    maths = browser_page.evaluate(CORRECT_MATH)
    assert len(maths) == 1, "one correct form, as MathML"
    assert maths[0]["width"] > 0 and maths[0]["height"] > 0
    assert maths[0]["frac"] > 1.6 * maths[0]["numerator"] > 0, f"the fraction is laid out as a fraction: {maths}"

    # a screenshot of the flagged line and its flag
    top = line.bounding_box()
    note = browser_page.locator("#flag-1").bounding_box()
    clip = {"x": top["x"], "y": top["y"], "width": max(top["width"], note["width"]),
            "height": note["y"] + note["height"] - top["y"]}
    shot = tmp_path / "flagged-line.png"
    browser_page.screenshot(path=str(shot), clip=clip, full_page=True)
    print(f"screenshot of the flagged line: {shot}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)

    from PIL import Image

    assert shot.stat().st_size > 2_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(shot) as image:
        assert image.width >= clip["width"] - 1 and image.height >= clip["height"] - 1
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 24)}
    for wanted in (rgb(style["flaggedBg"]), rgb(style["flaggedEdge"])):
        assert any(max(abs(a - b) for a, b in zip(c, wanted)) <= 3 for c in colours), f"no pixel of {wanted}"
