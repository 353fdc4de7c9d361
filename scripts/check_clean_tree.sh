#!/usr/bin/env bash
# Run a command and fail if it changed the tracked tree or left files git does not ignore.
# `git status --porcelain` is taken before and after; any difference is printed.
set -uo pipefail
before=$(git status --porcelain 2>/dev/null)
"$@"
status=$?
after=$(git status --porcelain 2>/dev/null)
if [ "$before" != "$after" ]; then
  echo "check_clean_tree: the run changed the working tree:" >&2
  diff <(echo "$before") <(echo "$after") >&2
  [ $status -eq 0 ] && status=3
fi
exit $status
