"""``python -m matcher.census``: rebuild the census-derived reference files."""

from matcher.census.files import main

if __name__ == "__main__":
    raise SystemExit(main())
