#!/usr/bin/env bash
# Main job: set up .venv if needed, answer the headline question beside voluntary buddying,
# and draw the causal web (causal_web.png). Extra arguments go to `bayescollab demo`.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
exec .venv/bin/bayescollab demo --force "$@"  # the demo redraws its own picture
