"""Regenerate the shipped synthetic example survey: models/examples/pilot_synthetic.{csv,truth.csv,meta.json}.

One synthetic collaboration of 21 respondents shaped like the readiness-survey pilot that seed 002
reports in chapter 7 (a mental health provider collaborative): the respondents worried about
time and resource capacity, described a history of competition with their partners, and agreed
that the partners share a vision. Those three findings become given states of the draw; all other
states, and every answer, come from the model with a fixed seed. Nothing is typed by hand.

    .venv/bin/python scripts/make_example_survey.py [--out-dir DIR]

tests/survey/test_simulate.py regenerates the files and requires them to be identical, so rerun
this script when the theory, the priors or the measurement model change.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bayescollab.model import Model, load_model
from bayescollab.survey.simulate import EXAMPLE_SURVEY, example_survey_path, simulate_survey, write_simulation

#: the pilot workshop met on 13 September 2021 (002, chapter 7); used only as a fixed seed
SEED = 20210913
RESPONDENTS = 21
#: the pilot respondents completed the survey, so few answers are left blank
BLANK_RATE = 0.05
GIVEN = {
    "resource_capacity": "constrained",  # concerns about time and resource capacity
    "collaboration_history": "poor",  # a significant history of competition with the partners
    "vision_sharedness": "high",  # agreement that the partners share a vision
}
COMMAND = "python scripts/make_example_survey.py"
SOURCE = {
    "seed": "002_88c03433245ed2d8.txt",
    "location": "Chapter 7, section 'Diagnosing the readiness and progress of a collaboration: "
    "a developmental survey'",
    "what": "Pilot of the readiness for collaboration survey in a mental health provider collaborative: "
    "21 respondents; concerns about time and resource capacity, a history of competition with "
    "partners, agreement on a shared vision (the seed refers to its Figure 17 and Appendix 4, which "
    "the seed text does not include). Mapped to given states: "
    + ", ".join(f"{k}={v}" for k, v in GIVEN.items())
    + ". Everything else, including every answer, is drawn from the model; these are not the pilot's data.",
}


def make_example(out_dir: Path | None = None, model: Model | None = None) -> dict[str, Path]:
    """Draw the example and write its three files into ``out_dir`` (default: the packaged models/)."""
    model = model if model is not None else load_model()
    target = example_survey_path() if out_dir is None else Path(out_dir) / Path(EXAMPLE_SURVEY).name
    sim = simulate_survey(
        model,
        collaborations=1,
        respondents=RESPONDENTS,
        seed=SEED,
        blank_rate=BLANK_RATE,
        given=GIVEN,
    )
    return write_simulation(sim, target, command=COMMAND, extra={"source": SOURCE})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=None, help="folder to write into (default: models/)")
    args = parser.parse_args()
    for path in make_example(args.out_dir).values():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
