#!/usr/bin/env bash
# A container image with CPU PyTorch and transformers, for the Docker variant of the real-engine test
# (tests/transformers_engine_test.ts): the test image of scripts/ci_docker.sh (Debian minbase + python3,
# no registry) with the site-packages of scripts/engines/transformers_venv.sh copied in and on PYTHONPATH
# (both Python 3.11; torch's wheel brings its own libgomp, the image has glibc and libstdc++). Tagged by
# the hash of the base image's tag and the environment's, so it is made once. Writes the tag to
# build/docker_transformers_image.
#
# It never fails CI: without Docker, the base image or the environment it says why in one line and exits
# 0 (the test then shows as skipped).
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.." || exit 0
TAG_FILE=build/docker_transformers_image
rm -f "$TAG_FILE"
say() { echo "transformers_image: $*"; }
base=$(cat build/docker_test_image 2>/dev/null) || { say "no Docker test image (scripts/ci_docker.sh): skipped"; exit 0; }
docker image inspect "$base" >/dev/null 2>&1 || { say "Docker or its test image $base is not there: skipped"; exit 0; }
python=$(bash scripts/engines/transformers_venv.sh --check 2>/dev/null | tail -n 1) ||
  { say "no transformers environment (scripts/engines/transformers_venv.sh): skipped"; exit 0; }
site=$("$python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") || exit 0
tag="llem-test-transformers:$(printf '%s\n%s\n' "$base" "$python" | sha256sum | cut -c1-16)"
if ! docker image inspect "$tag" >/dev/null 2>&1; then
  name="llem-build-transformers-$$"
  docker create --name "$name" "$base" true >/dev/null || { say "docker create failed: skipped"; exit 0; }
  if docker cp "$site" "$name:/opt/llem-site-packages" >/dev/null &&
    docker commit --change "ENV PYTHONPATH=/opt/llem-site-packages" --change "LABEL io.llem.test-image=1" \
      "$name" "$tag" >/dev/null; then
    say "built $tag"
  else
    say "could not build $tag: skipped"
  fi
  docker rm -f "$name" >/dev/null 2>&1
  docker image inspect "$tag" >/dev/null 2>&1 || exit 0
fi
mkdir -p build && echo "$tag" >"$TAG_FILE"
say "$tag"
