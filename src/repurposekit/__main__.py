"""``python -m repurposekit`` runs the ``rk`` command line."""

from repurposekit.cli import main

if __name__ == "__main__":
    main()
