"""Where lecture files live (issue 27): notebooks, Quarto, MyST, folders, project settings and
inline suppressions -- documents written here, scanned through ``scan_text``, ``scan_paths`` and
the command line."""

from __future__ import annotations

import json

import pytest
from scanning import scan_text

from derivspec.app.cli import main
from derivspec.app.scan import scan_paths
from derivspec.scan.extract import extract

WRONG = "$2 + 2 = 5$"  # a worked number the scan flags
RIGHT = "$2 + 3 = 5$"  # one it proves
PRODUCT_INVERSE = "(AB)^{-1} = A^{-1} B^{-1}"  # true of numbers, false of matrices


def scan_json(capsys, *argv) -> tuple[int, dict]:
    code = main(["scan", *map(str, argv), "--json", "--jobs", "1"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def bad_input(capsys, *argv) -> str:
    """The one stderr line of a scan refused as bad input (exit code 2)."""
    assert main(["scan", *map(str, argv), "--jobs", "1"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("derivspec: error: ") and "Traceback" not in captured.err
    return lines[0]


def notebook(path, *cells):
    """A notebook of (cell_type, source) cells; sources as lists of lines, as Jupyter writes them."""
    data = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})} for kind, source in cells]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- notebooks ------------------------------------------------------------------------------------

def test_a_notebook_is_its_markdown_cells_read_as_one_document(tmp_path, capsys):
    path = notebook(tmp_path / "lecture.ipynb",
                    ("markdown", "# Matrices\n\nLet $A$ and $B$ be matrices."),
                    ("code", f"wrong = '{WRONG}'"),
                    ("raw", WRONG),
                    ("markdown", f"Inverting a product:\n\n$$\n{PRODUCT_INVERSE}\n$$\n\nand {WRONG} too."))
    code, data = scan_json(capsys, path)
    by_text = {r["text"]: r for r in data["statements"]}
    assert code == 1 and len(data["statements"]) == 2, "the code and raw cells are not read"
    inverse = by_text[PRODUCT_INVERSE]
    # the declaration in cell 1 types A and B in cell 4: one document
    assert inverse["verdict"] == "disagrees" and inverse["cell"] == 4 and inverse["lines"] == [4, 4]
    number = by_text["2 + 2 = 5"]
    assert number["cell"] == 4 and number["lines"] == [7, 7]
    alone = notebook(tmp_path / "alone.ipynb", ("markdown", f"$$\n{PRODUCT_INVERSE}\n$$"))
    [record] = scan_paths([alone], workers=0, progress=False)[0]
    assert record.verdict == "unchecked" and "are numbers" in record.reason, \
        "without the declaration A and B may be matrices: holds for numbers, no proof, no flag"
    assert main(["scan", str(path), "--jobs", "1"]) == 1
    assert "cell 4, line 4" in capsys.readouterr().out


def test_a_formula_never_runs_from_one_cell_into_the_next(tmp_path):
    path = notebook(tmp_path / "n.ipynb", ("markdown", "An unclosed $$ here"), ("markdown", f"Then {WRONG}."))
    found = extract(path)
    assert [s.text for s in found] == ["2 + 2 = 5"]
    records = scan_paths([path], workers=0, progress=False)[0]
    assert [(r.cell, r.lines, r.verdict) for r in records] == [(1, (1, 1), "unchecked"), (2, (1, 1), "disagrees")]
    assert records[0].reason == "not read: unclosed $$ from cell 1, line 1"


@pytest.mark.parametrize("content, why", [
    ("{not json", "invalid JSON"),
    ('{"metadata": {}}', "no list of cells"),
    ('{"worksheets": [], "nbformat": 3}', "nbformat 3"),
    ('{"cells": [{"source": "x"}]}', "cell 1 has no cell_type"),
    ('{"cells": [{"cell_type": "markdown", "source": 3}]}', "not text"),
])
def test_a_file_that_is_not_a_notebook_is_refused_in_one_line(tmp_path, capsys, content, why):
    path = tmp_path / "broken.ipynb"
    path.write_text(content, encoding="utf-8")
    line = bad_input(capsys, path)
    assert "broken.ipynb" in line and why in line


# --- Quarto and MyST ------------------------------------------------------------------------------

def test_quarto_code_cells_skipped_math_and_labels_read(tmp_path):
    text = ("---\ntitle: Notes\n---\n\n"
            "```{python}\nx = '$2 + 2 = 5$'\n```\n\n"
            "$$\n3 + 4 = 8\n$$ {#eq-sum}\n\n"
            "See @eq-sum. " + RIGHT + "\n")
    records = scan_text(tmp_path, text, "notes.qmd")
    assert [(r.text, r.lines, r.verdict) for r in records] == [
        ("3 + 4 = 8", (10, 10), "disagrees"), ("2 + 3 = 5", (13, 13), "proved")]


def test_myst_math_directives_roles_and_labels(tmp_path):
    text = ("(sums)=\n"                                          # 1: a target line
            "## Sums\n\n"                                        # 2-3
            "A role: {math}`2 + 2 = 5` inline.\n\n"              # 4
            "```{math}\n:label: eq-one\n\n1 + 1 = 3\n\n2 + 2 = 4\n```\n\n"  # 6-12: two equations
            ":::{math}\n:label: eq-two\n3 + 3 = 7\n:::\n\n"      # 14-17
            "$$\n4 + 4 = 9\n$$ (eq-three)\n\n"                    # 19-21
            "```{code-cell} python\nprint('$5 + 5 = 11$')\n```\n\n"  # 23-25: code
            "````{note}\nIn a note: $6 + 6 = 13$.\n```python\n'$7 + 7 = 15$'\n```\n````\n")  # 27-32
    for name in ("notes.md", "notes.myst"):
        records = scan_text(tmp_path, text, name)
        assert [(r.text, r.lines[0], r.verdict) for r in records] == [
            ("2 + 2 = 5", 4, "disagrees"), ("1 + 1 = 3", 9, "disagrees"), ("2 + 2 = 4", 11, "proved"),
            ("3 + 3 = 7", 16, "disagrees"), ("4 + 4 = 9", 20, "disagrees"), ("6 + 6 = 13", 28, "disagrees")], name



def test_mdx_is_read_as_markdown_its_imports_and_components_hold_no_math(tmp_path, capsys):
    text = ("---\ntitle: Notes\n---\n\n"                         # 1-3 front matter
            "import Figure from '../components/Figure.astro'\n\n"  # 5: an MDX import
            "<Figure src=\"a.png\" caption=\"no math here\" />\n\n"  # 7: a component
            "$$\n3 + 4 = 8\n$$\n\n"                               # 9-11
            "Inline: $2 + 3 = 5$.\n")                             # 13
    records = scan_text(tmp_path, text, "post.mdx")
    assert [(r.text, r.lines[0], r.verdict) for r in records] == [("3 + 4 = 8", 10, "disagrees"),
                                                                  ("2 + 3 = 5", 13, "proved")]
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "post.mdx").write_text(text, encoding="utf-8")
    code, out = scan_json(capsys, tmp_path / "site")  # a folder walk finds .mdx too
    assert code == 1 and [s["verdict"] for s in out["statements"]] == ["disagrees", "proved"]

# --- folders --------------------------------------------------------------------------------------

def _tree(root):
    files = {"week1/index.md": WRONG, "week2/index.md": RIGHT, "week2/extra.tex": "\\[ 1 + 1 = 3 \\]",
             "drafts/old.md": WRONG, "notes.txt": RIGHT, "README.rst": WRONG, ".hidden/x.md": WRONG,
             "_build/x.md": WRONG, "node_modules/x.md": WRONG, "env/x.md": WRONG, "env/pyvenv.cfg": "home = /usr",
             "empty.md": ""}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + ("\n" if text else ""), encoding="utf-8")
    return root


def test_a_folder_is_walked_in_sorted_order_and_paths_name_the_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path / "course")
    code, data = scan_json(capsys, "course")
    files = list(data["summary"]["files"])
    assert files == ["course/drafts/old.md", "course/notes.txt", "course/week1/index.md", "course/week2/extra.tex",
                     "course/week2/index.md"]
    assert code == 1 and {r["file"] for r in data["statements"]} == set(files)
    assert data["summary"]["files"]["course/week1/index.md"]["flagged"] == 1
    assert data["summary"]["files"]["course/week2/index.md"]["flagged"] == 0, "two index.md do not collide"


def test_include_and_exclude_globs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path / "course")
    _, data = scan_json(capsys, "course", "--exclude", "drafts", "--exclude", "*.txt")
    assert list(data["summary"]["files"]) == ["course/week1/index.md", "course/week2/extra.tex",
                                              "course/week2/index.md"]
    _, data = scan_json(capsys, "course", "--include", "week*/*.md")
    assert list(data["summary"]["files"]) == ["course/week1/index.md", "course/week2/index.md"]
    code, data = scan_json(capsys, "course", "--include", "week2/*")
    assert code == 1 and list(data["summary"]["files"]) == ["course/week2/extra.tex", "course/week2/index.md"]


def test_a_folder_with_nothing_to_scan_is_refused(tmp_path, capsys):
    (tmp_path / "empty" / ".git").mkdir(parents=True)
    (tmp_path / "empty" / ".git" / "x.md").write_text(WRONG, encoding="utf-8")
    assert "empty: a folder with no lecture file" in bad_input(capsys, tmp_path / "empty")
    _tree(tmp_path / "course")
    assert "a folder with no lecture file" in bad_input(capsys, tmp_path / "course", "--include", "*.qmd")


def test_files_named_alike_keep_their_paths(tmp_path):
    for week in ("a", "b"):
        (tmp_path / week).mkdir()
        (tmp_path / week / "index.md").write_text(WRONG if week == "a" else RIGHT, encoding="utf-8")
    records, per_file = scan_paths([tmp_path / "a" / "index.md", tmp_path / "b" / "index.md"], workers=0,
                                   progress=False)
    assert len(per_file) == 2 and [per_file[r.file]["flagged"] for r in records] == [1, 0]


# --- settings -------------------------------------------------------------------------------------

def test_pyproject_settings_declare_matrices_for_every_lecture(tmp_path, capsys, monkeypatch):
    lecture = tmp_path / "notes" / "inverse.md"
    lecture.parent.mkdir()
    lecture.write_text(f"Inverting a product: ${PRODUCT_INVERSE}$.\n", encoding="utf-8")
    monkeypatch.chdir(lecture.parent)
    code, data = scan_json(capsys, lecture)
    assert code == 0 and data["statements"][0]["verdict"] == "unchecked" and data["meta"]["settings"] is None
    assert "are numbers" in data["statements"][0]["reason"]  # untyped: may be matrices, so no proof
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.derivspec]\nmatrices = ["A", "B"]\n',
                                             encoding="utf-8")
    code, data = scan_json(capsys, lecture)  # found from the current folder upwards
    assert code == 1 and data["statements"][0]["verdict"] == "disagrees"
    assert data["meta"]["settings"] == str((tmp_path / "pyproject.toml").resolve())


def test_derivspec_toml_log_base_constants_and_skip(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs.md").write_text("In bits: $\\log 8 = 3$.\n", encoding="utf-8")
    (tmp_path / "edges.md").write_text("Edges $\\sum_e w_e$. And $\\ln e = 1$.\n", encoding="utf-8")
    (tmp_path / "draft.md").write_text(WRONG + "\n", encoding="utf-8")
    _, data = scan_json(capsys, "logs.md", "edges.md")
    assert [r["verdict"] for r in data["statements"]] == ["unchecked", "unchecked"]
    (tmp_path / "derivspec.toml").write_text('log_base = 2\nconstants = ["e"]\nskip = ["draft.md"]\n', encoding="utf-8")
    code, data = scan_json(capsys, "logs.md", "edges.md", "draft.md")
    assert code == 0 and [r["verdict"] for r in data["statements"]] == ["proved", "proved"]
    assert list(data["summary"]["files"]) == ["logs.md", "edges.md"], "draft.md is skipped"
    other = tmp_path / "elsewhere.toml"
    other.write_text('log_base = "e"\n', encoding="utf-8")
    code, data = scan_json(capsys, "logs.md", "--config", other)
    assert code == 1 and data["statements"][0]["verdict"] == "disagrees", "natural logs: log 8 is not 3"


@pytest.mark.parametrize("settings, words", [
    ('colour = "red"\n', ["unknown setting 'colour'"]),
    ('matrices = "A"\n', ["'matrices'", "list of strings"]),
    ('matrices = ["AB"]\n', ["'matrices'", "single letter"]),
    ('log_base = 3\n', ["'log_base'", '"e", 2 or 10']),
    ('log_base = true\n', ["'log_base'"]),
    ('include = [1]\n', ["'include'"]),
    ('matrices = ["A"]\nvectors = ["A"]\n', ["'vectors'", "also one of the matrices"]),
    ('exclude = [\n', ["not a TOML file"]),
])
def test_bad_settings_are_one_line_naming_the_key_and_file(tmp_path, capsys, monkeypatch, settings, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text(RIGHT + "\n", encoding="utf-8")
    (tmp_path / "derivspec.toml").write_text(settings, encoding="utf-8")
    line = bad_input(capsys, "notes.md")
    assert "derivspec.toml" in line and all(word in line for word in words), line


def test_a_config_file_that_is_missing_or_has_no_table(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text(RIGHT + "\n", encoding="utf-8")
    assert "no such settings file" in bad_input(capsys, "notes.md", "--config", "nowhere.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert "no [tool.derivspec] table" in bad_input(capsys, "notes.md", "--config", "pyproject.toml")
    assert main(["scan", "notes.md", "--jobs", "1"]) == 0, "found, a pyproject.toml without the table is passed over"


# --- inline suppressions --------------------------------------------------------------------------

def test_a_suppressed_flag_keeps_its_verdict_and_does_not_fail_the_scan(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text(
        "Line one " + WRONG + " <!-- derivspec: ignore the book's typo -->\n\n"
        "<!-- derivspec: ignore -->\n$$\n3 + 3 = 7\n$$\n\n"
        "```markdown\n<!-- derivspec: ignore -->\n```\n" + RIGHT + "\n", encoding="utf-8")
    code, data = scan_json(capsys, "notes.md")
    flags = [r for r in data["statements"] if r["verdict"] == "disagrees"]
    assert code == 0 and len(flags) == 2 and all(r["suppressed"] for r in flags)
    assert "line 1" in flags[0]["suppression"] and "the book's typo" in flags[0]["suppression"]
    assert "line 3" in flags[1]["suppression"] and flags[1]["evidence"]
    proved = [r for r in data["statements"] if r["verdict"] == "proved"]
    assert len(proved) == 1 and "suppressed" not in proved[0], "a marker in a code block suppresses nothing"
    assert data["summary"]["flagged"] == 0 and data["summary"]["suppressed"] == 2
    assert main(["scan", "notes.md", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "(suppressed)" in out and "2 flags suppressed" in out


def test_an_unsuppressed_flag_still_fails_and_latex_markers_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.tex").write_text(
        "\\begin{document}\n% derivspec: ignore\n\\[ 1 + 1 = 3 \\]\n\\[ 2 + 2 = 5 \\] % derivspec: ignore sign\n"
        "\\[ 3 + 3 = 7 \\]\n\\end{document}\n", encoding="utf-8")
    code, data = scan_json(capsys, "notes.tex")
    assert code == 1 and [r.get("suppressed", False) for r in data["statements"]] == [True, True, False]
    assert data["summary"]["flagged"] == 1 and data["summary"]["suppressed"] == 2


def test_ignore_file_and_a_notebook_marker(tmp_path):
    records = scan_text(tmp_path, "<!-- derivspec: ignore-file generated notes -->\n" + WRONG + "\n\n" + RIGHT)
    assert [bool(r.suppressed) for r in records] == [True, True] and "generated notes" in records[0].suppressed
    path = notebook(tmp_path / "n.ipynb", ("markdown", RIGHT), ("markdown", "<!-- derivspec: ignore -->\n" + WRONG))
    records = scan_paths([path], workers=0, progress=False)[0]
    assert [(r.cell, r.verdict, r.suppressed) for r in records] == [
        (1, "proved", ""), (2, "disagrees", "derivspec: ignore at cell 2, line 1")]


def test_a_declared_base_leaves_ln_natural(tmp_path):
    from derivspec.scan.runner import Declarations

    records = scan_text(tmp_path, "Bits: $\\log 8 = 3$, nats: $\\ln 8 = 3$ and $\\ln 1 = 0$.",
                        declared=Declarations(log_base=2))
    assert [r.verdict for r in records] == ["proved", "disagrees", "proved"]
