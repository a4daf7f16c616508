"""``python -m qchipnet`` runs the ``qchipnet`` command."""

from .cli import main

if __name__ == "__main__":
    main()
