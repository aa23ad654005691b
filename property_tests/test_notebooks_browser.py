"""A notebook's annotated view in a real browser (headless Chromium driven by Playwright, as
test_annotated_browser.py): ``derivspec scan sums.ipynb --html`` shows the notebook's cells, not its
JSON -- the Markdown rendered (a heading, MathML laid out), the code cell folded until opened, the
flag right after its block and cited by cell and line, nothing wider than the 1280 px window -- and
``derivspec.scan_text``'s ``_repr_html_`` shows the same view inside its ``<iframe srcdoc>`` with
no file or network. A screenshot of the page is kept (the test's tmp folder and
``out/annotated-browser/``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_annotated_browser import rgb
from test_notebooks import CODE, NOTEBOOK, WRONG
from test_report_browser import open_page

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "annotated-browser"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """``derivspec scan sums.ipynb --html out``: the notebook's page."""
    from derivspec.app.cli import main

    folder = tmp_path_factory.mktemp("notebook-browser")
    notebook = folder / "sums.ipynb"
    notebook.write_text(NOTEBOOK, encoding="utf-8")
    assert main(["scan", str(notebook), "--html", str(folder / "out"), "--jobs", "1"]) == 1
    return folder / "out" / "lecture-sums.ipynb.html"


VIEW = """() => {
    const css = name => getComputedStyle(document.documentElement).getPropertyValue(name);
    const flagged = document.querySelector('tr.line.flagged'), note = document.querySelector('#flag-1 .flag-note');
    const maths = [...document.querySelectorAll('.nb-rendered math')].map(m => m.getBoundingClientRect());
    return {text: document.body.innerText, cells: document.querySelectorAll('section.nb-cell').length,
            heading: document.querySelector('.nb-rendered h1')?.innerText,
            flaggedBg: css('--flagged-bg'), background: getComputedStyle(flagged).backgroundColor,
            flaggedId: flagged.id, note: note.innerText, noteRight: note.getBoundingClientRect().right,
            maths: maths.map(r => [r.width, r.height]), width: document.documentElement.scrollWidth,
            viewport: window.innerWidth};
}"""


def test_the_notebook_page_shows_cells_not_json(browser_page, written, tmp_path):
    problems = open_page(browser_page, written)
    assert problems == {"console": [], "pageerror": [], "requestfailed": []}, problems
    view = browser_page.evaluate(VIEW)
    for json_only in ('"cell_type"', "nbformat", "display_name", "kernelspec", '"source"'):
        assert json_only not in view["text"]
    assert view["cells"] == 3 and view["heading"] == "Sums and squares"
    assert len(view["maths"]) >= 3 and all(w > 0 and h > 0 for w, h in view["maths"]), view["maths"]
    assert view["flaggedId"] == f"c3-B{WRONG}" and rgb(view["background"]) == rgb(view["flaggedBg"])
    assert f"cell 3, line {WRONG}" in view["note"] and "13" in view["note"]
    assert view["width"] <= view["viewport"] and view["noteRight"] <= view["viewport"], "nothing cut off at 1280 px"

    code = browser_page.locator("#cell-2 details.nb-source pre")
    assert not code.is_visible(), "the code cell is folded"
    browser_page.locator("#cell-2 details.nb-source summary").click()
    assert code.is_visible() and code.inner_text().strip() == CODE

    shot = tmp_path / "notebook-view.png"
    browser_page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the notebook's annotated view: {shot}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)

    from PIL import Image

    with Image.open(shot) as image:
        assert image.width >= 1270
        colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 24)}
    wanted = rgb(view["flaggedBg"])
    assert any(max(abs(a - b) for a, b in zip(c, wanted)) <= 3 for c in colours), "the flagged block is in the shot"


def test_scan_text_shows_the_view_inside_its_frame(browser_page, tmp_path):
    import derivspec

    result = derivspec.scan_text(NOTEBOOK, name="sums.ipynb")
    page = tmp_path / "cell-output.html"
    page.write_text(f"<!DOCTYPE html><html><body>{result._repr_html_()}</body></html>", encoding="utf-8")
    problems = open_page(browser_page, page)
    assert problems == {"console": [], "pageerror": [], "requestfailed": []}, problems
    frame = browser_page.frame_locator("iframe.derivspec-view")
    assert frame.locator("#flag-1 .flag-note").is_visible()
    assert f"cell 3, line {WRONG}" in frame.locator("#flag-1").inner_text()
    assert frame.locator("section.nb-cell").count() == 3
    box = browser_page.locator("iframe.derivspec-view").bounding_box()
    assert box["width"] > 1000 and box["height"] >= 300
