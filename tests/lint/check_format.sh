#!/usr/bin/env bash
# Fails when a git-tracked C++ file (*.cc, *.h) is not formatted as .clang-format says
# (STYLE.md 10.1). Usage: check_format.sh SOURCE_ROOT [FILE...]; without FILEs, every tracked file.
# Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$1"
shift
CLANG_FORMAT=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format)}
if [ $# -gt 0 ]; then
  files=("$@")
else
  # Outside a git checkout (an exported source tree), every C++ file under src/ and tests/.
  mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null ||
    find src tests -name '*.cc' -o -name '*.h' | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "check_format: no C++ files found under $PWD" >&2
  exit 1
fi
if "$CLANG_FORMAT" --dry-run --Werror "${files[@]}"; then
  echo "check_format: all ${#files[@]} files formatted as .clang-format says"
else
  echo "check_format: misformatted files above; run: git ls-files '*.cc' '*.h' | xargs clang-format -i" >&2
  exit 1
fi
