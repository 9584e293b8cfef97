#!/usr/bin/env bash
# mkdeb.sh OUTDIR builds the Debian package ctrun_<version>_<arch>.deb in
# OUTDIR with dpkg-deb alone (no debhelper, no network): what `make install
# PREFIX=/usr` installs (the commands, their man pages gzip -9n'd, the bash
# completion), and what Debian asks of every package beside it (copyright,
# changelog, md5sums, control). `make deb` runs it once the binaries and the
# man pages are built, and prints the package's path last.
#
# From the environment: GO and MAKE (make's), VERSION (git describe's, or
# the one given to make: packaging/debversion turns it into a Debian
# version), MAINTAINER (the Maintainer field), SOURCE_DATE_EPOCH (else the
# commit's time: the changelog's date and every file's time stamp, so that a
# commit always makes the same package).
set -euo pipefail
out=${1:?usage: mkdeb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
GO=${GO:-go}
MAKE=${MAKE:-make}
MAINTAINER=${MAINTAINER:-ctrun for Linux authors <ctrun@example.org>}

commit=$(git rev-parse HEAD 2>/dev/null || true)
if [[ -z ${SOURCE_DATE_EPOCH-} ]]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
day=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d)
version=$("$GO" run ./packaging/debversion -commit "$commit" -date "$day" "${VERSION-}")
arch=$(dpkg --print-architecture)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
umask 022
"$MAKE" --no-print-directory install DESTDIR="$root" PREFIX=/usr >/dev/null

subst() {
	sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g" -e "s|@MAINTAINER@|$MAINTAINER|g" \
		-e "s|@DESCRIBE@|${VERSION:-an unknown commit}|g" \
		-e "s|@DATE@|$(date -u -R -d "@$SOURCE_DATE_EPOCH")|g" -e "s|@SIZE@|${size-}|g" "$1"
}

doc=$root/usr/share/doc/ctrun
install -d "$doc" "$root/DEBIAN"
install -m 0644 packaging/copyright "$doc/copyright"
# A native package (its version has no Debian revision): changelog.gz.
subst packaging/changelog.in | gzip -9n >"$doc/changelog.gz"
if [[ -s packaging/lintian-overrides ]]; then
	install -D -m 0644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/ctrun"
fi

# Installed-Size as dpkg-gencontrol counts it: KiB of each file and
# symlink, rounded up, and 1 for every other entry (directories).
size=$(find "$root/usr" \( -type f -o -type l \) -printf '%s\n' -o -printf '1024\n' |
	awk '{ kib += int(($1 + 1023) / 1024) } END { print kib }')
subst packaging/control.in >"$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
# The maintainer scripts divert iproute2's /usr/bin/ctstat (see preinst).
install -m 0755 packaging/preinst packaging/postrm "$root/DEBIAN/"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$out/ctrun_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
