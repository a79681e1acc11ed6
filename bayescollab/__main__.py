"""``python -m bayescollab`` runs the CLI."""

from bayescollab.cli import main

main()
