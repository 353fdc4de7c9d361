"""``python -m cli``: the ``matcher`` command."""

from cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
