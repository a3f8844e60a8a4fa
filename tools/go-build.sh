#!/usr/bin/env bash
# go-build.sh DIR OUT — builds the Go program in DIR (its main.go) into the file OUT against
# etcd 3.4.23's Go packages from Debian (golang-go, golang-etcd-server-dev), offline, as
# ../shared/etcd-tools/build.sh builds the etcd tools.
set -euo pipefail
here=$(realpath "${1:?usage: go-build.sh DIR OUT}")
out=$(realpath -m "${2:?usage: go-build.sh DIR OUT}")
name=$(basename "$here")
for p in golang-go golang-etcd-server-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/$name"
cp "$here/main.go" "$gopath/src/$name/"
(cd "$gopath/src/$name" && GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcd-tools-go}" go build -o "$out" .)
