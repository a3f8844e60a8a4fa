#!/usr/bin/env bash
# build.sh OUT — builds raft-describe (main.go beside this script) into the file OUT against etcd
# 3.4.23's Go packages from Debian (golang-go, golang-etcd-server-dev), offline, as
# ../shared/etcd-tools/build.sh builds the etcd tools.
set -euo pipefail
out=$(realpath -m "${1:?usage: build.sh OUT}")
here=$(cd "$(dirname "$0")" && pwd)
for p in golang-go golang-etcd-server-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/raft-describe"
cp "$here/main.go" "$gopath/src/raft-describe/"
(cd "$gopath/src/raft-describe" && GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcd-tools-go}" go build -o "$out" .)
