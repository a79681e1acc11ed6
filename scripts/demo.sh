#!/usr/bin/env bash
# Main job: set up .venv if needed, answer the headline question beside voluntary buddying,
# draw the causal web (causal_web.png) and write the assessment report of the shipped synthetic
# survey (report.html, one self-contained page). Extra arguments go to `bayescollab demo`.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
.venv/bin/bayescollab demo --force "$@"  # the demo redraws its own picture
echo
echo "assessment report of the shipped synthetic example (pilot-shaped, 21 respondents):"
exec .venv/bin/bayescollab report models/examples/pilot_synthetic.csv -o report.html --seed 1 --force
