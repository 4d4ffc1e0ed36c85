#!/usr/bin/env bash
# export-source.sh DEST: copy the source tree into DEST (created, must not exist) for a
# package build, without build directories or other ignored files.
#   SOURCE_REF unset (default): the working tree as git sees it: tracked files plus untracked
#                               files that are not ignored, as they are on disk now.
#   SOURCE_REF=HEAD (any ref):  exactly that commit (git archive), ignoring local changes.
set -euo pipefail
dest=${1:?usage: export-source.sh DEST}
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
[[ ! -e $dest ]] || { echo "export-source.sh: $dest exists" >&2; exit 1; }
mkdir -p "$dest"
if [[ -n ${SOURCE_REF:-} ]]; then
  git -C "$top" archive --format=tar "$SOURCE_REF" | tar -x -C "$dest"
else
  # Files deleted in the working tree but still in the index are skipped.
  (cd "$top" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) | tar -x -C "$dest"
fi
# Never ship generated packages back into a package.
rm -rf "$dest/packaging/out"
