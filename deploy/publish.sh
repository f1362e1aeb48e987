#!/usr/bin/env bash
# Publishes samples/WorkerDemo as one self-contained, single-file, ReadyToRun executable (default linux-x64) with its
# appsettings.json, ready to install as /opt/workerdemo (see deploy/README.md).
#   deploy/publish.sh [output directory]          (default: artifacts/workerdemo)
#   RID=linux-arm64 deploy/publish.sh             (another runtime)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/workerdemo}"
rid="${RID:-linux-x64}"

# Native libraries (SQLite's) stay beside the executable rather than being extracted at run time: the service runs with
# a read-only file system and no home directory (ProtectSystem=strict, DynamicUser=yes).
dotnet publish samples/WorkerDemo/WorkerDemo.csproj \
  --configuration Release \
  --runtime "$rid" \
  --self-contained true \
  -p:PublishSingleFile=true \
  -p:PublishReadyToRun=true \
  -p:DebugType=none \
  -p:PublishReferencesDocumentationFiles=false \
  --output "$out"

echo "published $rid to $out:"
ls -l "$out"
