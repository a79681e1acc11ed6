"""The README's picture of the assessment report: docs/report_screenshot.png.

    .venv/bin/python scripts/report_screenshot.py [REPORT.html] [--draws N]

Without a report file it writes the report of the shipped synthetic example first (as
``bash scripts/demo.sh`` does), then opens it in headless Chromium (Debian's ``chromium``
package, through Playwright) and saves one screen at the maturity-matrix section. The browser
also checks the page as the test does: every section present, no console errors.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "report_screenshot.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="an existing report.html")
    parser.add_argument("--draws", type=int, default=100, help="θ draws when the report is written here")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    from bayescollab.report.browser import inspect_report

    with tempfile.TemporaryDirectory() as tmp:
        report = args.report
        if report is None:
            import bayescollab as bc
            from bayescollab.report import write_report
            from bayescollab.survey import example_survey_path

            report = Path(tmp) / "report.html"
            command = (
                f"bayescollab report models/examples/pilot_synthetic.csv -o report.html --draws {args.draws}"
            )
            write_report(
                bc.load_model(), example_survey_path(), report, draws=args.draws, seed=1, command=command
            )
        seen = inspect_report(report, screenshot=args.output, viewport=(1000, 860), anchor="c1-mechanisms")
    if seen.errors or seen.missing_sections():
        print(f"report problems: {seen.errors} missing {seen.missing_sections()}", file=sys.stderr)
        return 1
    print(f"wrote {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
