#!/usr/bin/env bash
# Regenerates Sources/KPPprof/profile.pb.swift from proto/profile.proto.
#
# proto/profile.proto is google/pprof's proto/profile.proto (Apache-2.0, upstream commit
# 963a80db3d677353229bc3e7655d11709e9bcaaf). The generated Swift is committed because building
# protoc-gen-swift takes minutes; run this only after changing the .proto or the swift-protobuf version.
#
# Needs: protoc (Debian: protobuf-compiler) and protoc-gen-swift built from the SAME swift-protobuf
# version as Package.swift (1.39.0), e.g.
#   git clone --branch 1.39.0 /opt/swift-packages/apple/swift-protobuf.git /tmp/protogen/sp
#   swift build -c release --package-path /tmp/protogen/sp --product protoc-gen-swift
# Usage: scripts/gen-proto.sh [path/to/protoc-gen-swift]
#   (default: $PROTOC_GEN_SWIFT, else /tmp/protogen/sp/.build/release/protoc-gen-swift, else PATH)
set -euo pipefail
cd "$(dirname "$0")/.."

plugin="${1:-${PROTOC_GEN_SWIFT:-/tmp/protogen/sp/.build/release/protoc-gen-swift}}"
if [[ ! -x "$plugin" ]]; then
    plugin="$(command -v protoc-gen-swift || true)"
fi
if [[ -z "$plugin" || ! -x "$plugin" ]]; then
    echo "gen-proto.sh: protoc-gen-swift not found; build it from swift-protobuf 1.39.0 (see this script's header) and pass its path" >&2
    exit 2
fi
if ! command -v protoc >/dev/null; then
    echo "gen-proto.sh: protoc not found; install it: apt-get install protobuf-compiler" >&2
    exit 2
fi
version="$("$plugin" --version)"
case "$version" in
    *1.39.0*) ;;
    *) echo "gen-proto.sh: $plugin is '$version'; Package.swift pins swift-protobuf 1.39.0, build that tag" >&2; exit 2 ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
protoc --plugin=protoc-gen-swift="$plugin" \
    --swift_opt=Visibility=Public \
    --swift_out="$out" \
    --proto_path=proto proto/profile.proto
mv "$out/profile.pb.swift" Sources/KPPprof/profile.pb.swift
echo "wrote Sources/KPPprof/profile.pb.swift ($version)" >&2
