"""``python -m placeimpact ...``: the same as the ``placeimpact`` command."""

from placeimpact.cli import main

if __name__ == "__main__":
    main()
