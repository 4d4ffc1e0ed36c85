#!/usr/bin/env bash
# build-rpm.sh: build the corecached .rpm with rpmbuild into packaging/out/.
#
# Makes the source tarball corecached-VERSION.tar.gz from the source tree (see
# export-source.sh; SOURCE_REF=HEAD builds the last commit) and runs rpmbuild -bb on
# packaging/rpm/corecached.spec in a temporary _topdir. On a system that is not RPM-based
# (Debian: apt-get install rpm) the BuildRequires cannot be checked by rpm, so it passes
# --nodeps; the build dependencies are then the .deb's (packaging/debian/control). Where
# find-debuginfo is missing (Debian), no -debuginfo package is made. JOBS (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
jobs=${JOBS:-2}
spec=$here/rpm/corecached.spec

version=$(sed -n 's/^%global version_ *//p' "$spec")
meson_version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$here/../meson.build" | head -n1)
if [[ $version != "$meson_version" ]]; then
  echo "build-rpm.sh: spec version $version != meson.build version $meson_version" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/corecached-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/rpmbuild/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
"$here/export-source.sh" "$work/corecached-$version"
tar -C "$work" -czf "$work/rpmbuild/SOURCES/corecached-$version.tar.gz" "corecached-$version"
cp "$spec" "$work/rpmbuild/SPECS/"

args=(--define "_topdir $work/rpmbuild" --define "_smp_build_ncpus $jobs")
[[ -f /etc/redhat-release || -f /etc/fedora-release ]] || args+=(--nodeps)
if [[ ! -x /usr/lib/rpm/find-debuginfo.sh ]] && ! command -v find-debuginfo >/dev/null; then
  args+=(--define 'debug_package %{nil}')
fi
rpmbuild -bb "${args[@]}" "$work/rpmbuild/SPECS/corecached.spec"

mkdir -p "$out"
shopt -s nullglob
built=("$work"/rpmbuild/RPMS/*/*.rpm)
(( ${#built[@]} )) || { echo "build-rpm.sh: no package was built" >&2; exit 1; }
cp "${built[@]}" "$out/"
for f in "${built[@]}"; do ls -l "$out/${f##*/}"; done
