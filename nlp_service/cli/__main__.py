"""``python -m nlp_service.cli``."""

from nlp_service.cli import main

main()
