#!/usr/bin/env bash
# build.sh OUT — builds raft-describe (main.go beside this script) into the file OUT (tools/go-build.sh).
exec "$(dirname "$0")/../go-build.sh" "$(dirname "$0")" "${1:?usage: build.sh OUT}"
