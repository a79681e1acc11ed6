"""``bayescollab report``: the HTML assessment report, read as text and in a real headless Chromium.

Two reports are rendered for the whole module, to keep the suite quick: the shipped synthetic
example through the console script, and a small survey whose ids and organisations are hostile
markup, in-process. Both skip the θ draws (intervals cost one draw query per node, which
``assess`` owns and tests); how intervals are shown is checked by re-rendering the in-process
report with intervals filled in. The browser tests skip with the install commands when
Chromium or Playwright is missing.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pytest

from bayescollab.report import SECTIONS, write_report
from bayescollab.report.render import render_report
from bayescollab.survey import example_survey_path, load_instrument

HOSTILE = {
    "collaboration": '<b>c&o</b>"',
    "organisations": [
        "<script>alert('org')</script>",
        "=cmd|' /C calc'!A0",
        '<img src="x" onerror="alert(1)">',
    ],
    "respondent": "r<1>",
}
#: the nine key elements of seed 002 Table 11, as node ids
TABLE11 = (
    "trust",
    "faith",
    "confidence",
    "cultural_assimilation",
    "perceived_legitimacy",
    "communication",
    "vision_clarity",
    "vision_sharedness",
    "risk_tolerance",
)


@pytest.fixture(scope="module")
def example_report(tmp_path_factory: pytest.TempPathFactory, run_cli) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = run_cli("report", str(example_survey_path()), "-o", str(out), "--draws", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {out}"
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, model):
    """The hostile survey's report: (the Report object, the HTML file written)."""
    folder = tmp_path_factory.mktemp("hostile")
    survey = folder / "hostile.csv"
    instrument = load_instrument(theory=model.theory)
    header = list(instrument.csv_header())
    rows = []
    for i, org in enumerate(HOSTILE["organisations"]):
        row = dict.fromkeys(header, "")
        row.update(respondent_id=f"{HOSTILE['respondent']}{i}", collaboration_id=HOSTILE["collaboration"])
        row.update(organisation=org, trust_maturity="generative", faith_1=str(1 + i))
        rows.append(row)
    with survey.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    out = folder / "hostile.html"
    report = write_report(model, survey, out, draws=0, command="bayescollab report hostile.csv")
    return report, out


@pytest.fixture(scope="module")
def hostile_report(hostile) -> Path:
    return hostile[1]


# ------------------------------------------------------------------------------- the page as text
def test_example_report_has_every_section_and_its_numbers(example_report: Path, model) -> None:
    html = example_report.read_text(encoding="utf-8")
    for key, title in SECTIONS:
        assert f'data-section="{key}"' in html, key
        assert title.replace("'", "&#39;") in html, title
    for node in TABLE11:
        assert node.replace("_", " ").capitalize() in html, node
    for level in ("Pathological", "Bureaucratic", "Generative"):
        assert level in html
    assert "Synthetic data." in html and "shipped with the package" in html
    assert "none drawn" in html  # --draws 0
    assert re.search(r"ACT-\d{3}</strong>", html), "a Table 10 statement backs a lever"
    assert "Table 10, " in html  # with its location


def test_example_report_is_self_contained(example_report: Path) -> None:
    html = example_report.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "default-src 'none'" in html  # the CSP: no fetches, no scripts
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources, "the page has figures and links"
    for ref in sources:
        assert ref.startswith(("data:image/png;base64,", "#")), ref
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 4


def test_hostile_values_are_shown_as_text(hostile_report: Path) -> None:
    html = hostile_report.read_text(encoding="utf-8")
    assert "<script>alert" not in html and '<img src="x"' not in html and "<b>c&o</b>" not in html
    assert "&lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;x&#34; onerror=&#34;alert(1)&#34;&gt;" in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html
    assert "&lt;b&gt;c&amp;o&lt;/b&gt;&#34;" in html
    assert "Synthetic data." not in html  # a survey of its own is not labelled synthetic
    assert "none drawn" in html


def test_intervals_are_shown_beside_each_state(hostile) -> None:
    report, _ = hostile
    section = report.collaborations[0]

    def with_intervals(row):
        states = tuple(
            dataclasses.replace(s, interval=(s.posterior * 0.5, min(1.0, s.posterior * 1.5)))
            for s in row.states
        )
        return dataclasses.replace(row, states=states)

    drawn = dataclasses.replace(
        section,
        elements=[with_intervals(e) for e in section.elements],
        outcomes=[with_intervals(o) for o in section.outcomes],
        n_draws=7,
    )
    html = render_report(dataclasses.replace(report, collaborations=[drawn]))
    assert "not drawn" not in html and re.search(r"credible interval over\s+7 draws", html)
    first = drawn.elements[0].states[0]
    assert f"{100 * first.interval[0]:.0f}%–{100 * first.interval[1]:.0f}%" in html


def test_report_refuses_to_replace_a_file_without_force(tmp_path: Path, run_cli) -> None:
    out = tmp_path / "report.html"
    out.write_text("an earlier report", encoding="utf-8")
    done = run_cli("report", str(example_survey_path()), "-o", str(out))
    assert done.returncode == 2
    assert "already exists" in done.stderr and "--force" in done.stderr
    assert out.read_text(encoding="utf-8") == "an earlier report"
    wrong = run_cli("report", str(example_survey_path()), "-o", str(tmp_path / "report.pdf"))
    assert wrong.returncode == 2 and ".html" in wrong.stderr


# ------------------------------------------------------------------------------ in a real browser
def _browser():
    from bayescollab.report import browser

    if browser.find_chromium() is None:
        pytest.skip(f"headless Chromium not found; {browser.INSTALL_HINT}")
    pytest.importorskip("playwright.sync_api", reason=browser.INSTALL_HINT)
    return browser


def test_example_report_in_headless_chromium(example_report: Path, tmp_path: Path) -> None:
    browser = _browser()
    shot = tmp_path / "report.png"
    seen = browser.inspect_report(example_report, screenshot=shot)
    assert seen.errors == []
    assert seen.missing_sections() == []
    assert seen.scripts == 0
    headings = {s["key"]: s["heading"] for s in seen.sections}
    assert headings == dict(SECTIONS)
    assert len(seen.images) == 4
    for image in seen.images:
        assert min(image["natural"]) > 50, image["alt"][:40]
        assert min(image["box"]) > 50, image["alt"][:40]
        assert len(image["alt"]) > 40
    for image in seen.print_images:  # printed, no figure is wider than A4's text column
        assert 50 < image["box"][0] <= browser.A4_CONTENT_PX + 1
    assert seen.pdf_pages >= 2
    assert shot.stat().st_size > 10_000


def test_hostile_report_in_headless_chromium(hostile_report: Path) -> None:
    browser = _browser()
    seen = browser.inspect_report(hostile_report)
    assert seen.errors == []
    assert seen.scripts == 0
    assert seen.missing_sections() == []
    for text in [*HOSTILE["organisations"], HOSTILE["collaboration"]]:
        assert text in seen.text, text
