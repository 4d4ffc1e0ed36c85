#!/usr/bin/env bash
# build-deb.sh: build the corecached .deb with debhelper into packaging/out/.
#
# packaging/debian/ is kept out of the top level, so this copies the source tree (see
# export-source.sh; SOURCE_REF=HEAD builds the last commit) into a temporary directory, puts
# packaging/debian/ at its top as debian/ together with the unit, sysusers and tmpfiles files,
# and runs dpkg-buildpackage there. Needs: dpkg-dev, debhelper and the Build-Depends of
# packaging/debian/control (dpkg-buildpackage checks them). JOBS (default 2) limits the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
jobs=${JOBS:-2}

work=$(mktemp -d "${TMPDIR:-/tmp}/corecached-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/corecached
"$here/export-source.sh" "$src"

cp -r "$src/packaging/debian" "$src/debian"
cp "$src/packaging/corecached.service" "$src/debian/corecached.service"
cp "$src/packaging/corecached.sysusers" "$src/debian/corecached.sysusers"
cp "$src/packaging/corecached.tmpfiles" "$src/debian/corecached.tmpfiles"

(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
   dpkg-buildpackage -us -uc -b)

mkdir -p "$out"
shopt -s nullglob
built=("$work"/*.deb "$work"/*.changes "$work"/*.buildinfo)
(( ${#built[@]} )) || { echo "build-deb.sh: no package was built" >&2; exit 1; }
cp "${built[@]}" "$out/"
ls -l "$out"/*.deb
