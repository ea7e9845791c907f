#!/bin/sh
# Builds h2spec (the HTTP/2 conformance checker) from its source with Go,
# through the Go module proxy, into <repo>/.h2spec/bin/h2spec. Does nothing
# when the binary is already there. About 45 s on two cores the first time.
# v2.6.0 is not served by the proxy as a module; v2.2.1+incompatible builds.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/.h2spec/bin"
if [ -x "$bin/h2spec" ]; then
  echo "$bin/h2spec"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-h2spec: go not found on PATH" >&2
  exit 1
fi
mkdir -p "$bin"
GOBIN="$bin" GOFLAGS=-buildvcs=false go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible >&2
echo "$bin/h2spec"
