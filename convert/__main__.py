"""``python -m convert``: the newsconv command line."""

from .cli import main

main()
