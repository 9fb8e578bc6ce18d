#!/usr/bin/env bash
# The root filesystem of the container test image (Debian minbase + python3), built with debootstrap from
# the Debian mirror this machine's apt uses: no container registry needed. Shared by scripts/ci_docker.sh
# and scripts/ci_podman.sh, so that Docker and Podman run the very same image.
#
#   scripts/ci_test_rootfs.sh --hash   print the image's hash (of debootstrap's arguments and the recipe)
#   scripts/ci_test_rootfs.sh          print the path of the tarball, building it when it is not cached
#
# The tarball is cached as $LLEM_CI_CACHE/rootfs-<hash>.tar.gz (default /var/cache/llem-ci), so reruns
# take no time. On failure it prints one line saying why on stderr and exits 1.
set -uo pipefail
SELF=$(readlink -f "$0")
# shellcheck source=scripts/apt_install.sh
. "$(dirname "$SELF")/apt_install.sh"

CACHE=${LLEM_CI_CACHE:-/var/cache/llem-ci}
SUITE=bookworm
DEBOOTSTRAP_ARGS=(--variant=minbase --include=python3 "$SUITE")
# Change this when the steps that build the image change: the hash covers it and the args. The runtimes'
# own import step (a label) is part of the recipe, so it stays as it was when ci_docker.sh built it alone.
IMAGE_RECIPE="debootstrap, drop apt lists and docs, docker import with label io.llem.test-image (1)"
DEBOOTSTRAP_LIMIT_S=600

fail() {
  echo "$*" >&2
  exit 1
}

hash=$( (
  printf '%s\n' "${DEBOOTSTRAP_ARGS[@]}"
  echo "$IMAGE_RECIPE"
) | sha256sum | cut -c1-16)
if [ "${1:-}" = "--hash" ]; then
  echo "$hash"
  exit 0
fi

# The Debian mirror this machine's apt uses (deb822 .sources or one-line lists), else deb.debian.org.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' | grep -E '/debian/?$' | head -n 1)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
      grep -E '/debian/?$' | head -n 1)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$CACHE" 2>/dev/null || fail "cannot create $CACHE"
tarball="$CACHE/rootfs-$hash.tar.gz"
# One builder at a time (ci_docker.sh and ci_podman.sh may run side by side).
exec 8>"$CACHE/rootfs.lock"
flock -w 900 8 || fail "another build of the test root filesystem held $CACHE/rootfs.lock for 15 minutes"
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "the test image needs debootstrap, which needs root"
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "ci_test_rootfs: installing debootstrap" >&2
  apt_install debootstrap || fail "could not install debootstrap with apt-get"
fi
workdir=$(mktemp -d "$CACHE/rootfs.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
mirror=$(debian_mirror)
echo "ci_test_rootfs: debootstrap ${DEBOOTSTRAP_ARGS[*]} from $mirror (about a minute)" >&2
began=$SECONDS
if ! timeout "$DEBOOTSTRAP_LIMIT_S" debootstrap "${DEBOOTSTRAP_ARGS[@]}" "$workdir/root" "$mirror" \
  >"$CACHE/debootstrap.log" 2>&1; then
  fail "debootstrap failed or took over ${DEBOOTSTRAP_LIMIT_S}s: $(tail -n 1 "$CACHE/debootstrap.log" | cut -c1-200)"
fi
# Package lists, caches and docs are not needed to run python3.
rm -rf "$workdir/root"/var/cache/apt/* "$workdir/root"/var/lib/apt/lists/* \
  "$workdir/root"/usr/share/{doc,man,locale,info}
tar --numeric-owner -C "$workdir/root" -c . | gzip -1 >"$workdir/rootfs.tar.gz" ||
  fail "could not pack the root filesystem"
rm -f "$CACHE"/rootfs-*.tar.gz # older inputs
mv "$workdir/rootfs.tar.gz" "$tarball"
echo "ci_test_rootfs: root filesystem built in $((SECONDS - began))s, cached at $tarball" >&2
echo "$tarball"
