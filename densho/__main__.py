"""``python -m densho`` is the ``densho`` command."""

from densho.cli import main

main()
