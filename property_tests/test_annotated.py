"""The annotated lecture view (``derivspec scan FILE --html DIR``, and the report's scan page):
the user's file line by line, each line coloured by its statements' verdicts, every flag with the
claim, its correct form as math and the counterexample. The browser rendering is tested in
test_annotated_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pytest

from scanning import scan_text

pytest.importorskip("jinja2", reason="the report extra is missing: pip install '.[report]'")
pytest.importorskip("latex2mathml", reason="the report extra is missing: pip install '.[report]'")

# written for this test: one identity that holds, one well-known result written wrong (the KL
# between two Gaussians without the 2 in the denominator), prose around them
KL_WRONG = (r"\mathrm{KL}(\mathcal{N}(\mu_1,\sigma_1^2) \| \mathcal{N}(\mu_2,\sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1}"
            r" + \frac{\sigma_1^2 + (\mu_1-\mu_2)^2}{\sigma_2^2} - \frac{1}{2}")
LECTURE = f"""# Two Gaussians

A short note with a <b>tag</b> in its prose.

The square of a sum expands as

$$(a+b)^2 = a^2 + 2ab + b^2$$

For two univariate Gaussians the divergence is

$${KL_WRONG}$$

That is all.
"""
RIGHT, WRONG = 7, 11  # their lines


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("annotated")
    records = scan_text(folder, LECTURE, name="gaussians.md")
    return folder / "gaussians.md", records


def test_lines_take_the_verdicts_of_their_statements(scanned):
    from derivspec.app.annotated import annotate

    path, records = scanned
    by_line = {r.lines[0]: r for r in records}
    assert by_line[RIGHT].verdict == "proved" and by_line[WRONG].verdict == "disagrees"
    view = annotate(path, records)
    assert [line.number for line in view.lines] == list(range(1, LECTURE.count("\n") + 1))
    expected = {n: {"proved": "proved", "disagrees": "flagged", "unchecked": "unchecked"}[r.verdict]
                for r in records for n in range(r.lines[0], r.lines[1] + 1)}
    assert {line.number: line.state for line in view.lines if line.state != "plain"} == expected
    assert view.counts == {"proved": 1, "flagged": 1, "unchecked": 0}
    assert [(line.number, r["claim"]) for line, r in view.flags] == [(WRONG, "kl.gaussian.univariate")]
    assert view.line_counts["plain"] == len(view.lines) - len(expected)


def test_scan_html_writes_the_annotated_pages(scanned, tmp_path):
    """The command a user runs, in a fresh interpreter: exit code 1 (a flag), the index and the
    file's page written, the flag with its correct form as MathML; torch and numpy never imported."""
    path, _ = scanned
    out = tmp_path / "html"
    code = ("import json, sys\nfrom derivspec.app.cli import main\n"
            f"code = main(['scan', {str(path)!r}, '--html', {str(out)!r}, '--jobs', '1'])\n"
            "print(json.dumps({'code': code, 'heavy': sorted(m for m in ('torch', 'numpy', 'scipy', 'matplotlib')"
            " if m in sys.modules)}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 1, "heavy": []}, done.stderr
    assert "annotated lecture view written" in done.stderr and str(out / "index.html") in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "lecture-gaussians.md.html", "style.css"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="lecture-gaussians.md.html"' in index and 'href="style.css"' in index
    page = (out / "lecture-gaussians.md.html").read_text(encoding="utf-8")
    assert f'<tr class="line flagged" id="L{WRONG}"' in page and f'<tr class="line proved" id="L{RIGHT}"' in page
    assert page.count('class="line flagged"') == 1 and page.count('class="line proved"') == 1
    note = page[page.index('class="flag-note"'):]
    note = note[:note.index("</div>")]
    assert "<dt>correct</dt>" in note and "<dt>counterexample</dt>" in note and "<dt>claim</dt>" in note
    correct = note[note.index("<dt>correct</dt>"):note.index("<dt>counterexample</dt>")]
    assert "<math" in correct and "<mfrac>" in correct
    assert "&lt;b&gt;tag&lt;/b&gt;" in page and "<b>tag</b>" not in page, "the lecture's text is escaped"
    assert "<script" not in page and "kl.gaussian.univariate" in note


def test_scan_html_without_the_report_extra_is_refused_before_scanning(tmp_path, capsys, monkeypatch):

    from derivspec.app import scan
    from derivspec.app.cli import main

    lecture = tmp_path / "lecture.md"
    lecture.write_text("$$a + b = b + a$$\n")
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if the report extra were not installed
    scanned = []
    monkeypatch.setattr(scan, "scan_paths", lambda *a, **k: scanned.append(a))
    code = main(["scan", str(lecture), "--html", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and not scanned and not (tmp_path / "out").exists()
    assert err.count("\n") == 1 and err.startswith("derivspec: error: ") and "jinja2" in err
    assert "derivspec[report]" in err  # refused before any work: nothing was scanned (not a wall-clock bound)


def test_scan_html_into_a_file_is_bad_input(tmp_path, capsys):
    from derivspec.app.cli import main

    lecture, target = tmp_path / "lecture.md", tmp_path / "taken"
    lecture.write_text("$$a + b = b + a$$\n")
    target.write_text("a file")
    code = main(["scan", str(lecture), "--html", str(target)])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "--html" in err and "not a folder" in err


def test_the_report_scan_page_links_the_annotated_view(scanned, tmp_path):
    from derivspec.app.report import Math, ReportData, Site, scan_section

    path, records = scanned
    section = scan_section([r.to_json() for r in records], math=Math(), claims=set(), files=[(path, path.name)])
    assert [p.slug for p in section.pages] == ["lecture-gaussians.md"]
    Site(tmp_path, ReportData([], meta={"seed": 0}, sections=[section]), Math()).write()
    scan_page = (tmp_path / "scan.html").read_text(encoding="utf-8")
    assert 'href="lecture-gaussians.md.html"' in scan_page and f'href="lecture-gaussians.md.html#L{WRONG}"' in scan_page
    page = (tmp_path / "lecture-gaussians.md.html").read_text(encoding="utf-8")
    assert f'id="L{WRONG}"' in page and 'href="scan.html"' in page and "Scan</a>" in page  # the report's menu
    assert 'href="family-kl.html' not in page, "no family page in this report: the claim is not linked"
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<(math|code|style|title)\b.*?</\1>", " ", page, flags=re.S)))
    assert "\\" not in text, "outside <math> and <code> the page shows no LaTeX source"


def test_scan_html_of_a_folder_gives_each_file_its_page(tmp_path, monkeypatch, capsys):
    """Two ``index.md`` in different folders of a scanned folder: two pages, each with its own
    file's lines and verdicts (the names the records carry: ``course/a/index.md``)."""
    from derivspec.app.cli import main

    for part, right in (("a", "a^2 + b^2"), ("b", "a^2 + 2ab + b^2")):
        (tmp_path / "course" / part).mkdir(parents=True)
        (tmp_path / "course" / part / "index.md").write_text(f"# {part}\n\n$$(a+b)^2 = {right}$$\n")
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "course", "--html", "out", "--jobs", "1"])
    capsys.readouterr()
    assert code == 1  # course/a/index.md is wrong
    pages = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("lecture-*.html")}
    assert sorted(pages) == ["lecture-course-a-index.md.html", "lecture-course-b-index.md.html"]
    assert "a^2 + b^2" in html.unescape(pages["lecture-course-a-index.md.html"])
    assert "2ab" in html.unescape(pages["lecture-course-b-index.md.html"])
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert all(name in index for name in pages)
