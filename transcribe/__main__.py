"""``python -m transcribe`` runs the command line."""

from transcribe.cli import main

if __name__ == "__main__":
    main()
