#!/usr/bin/env bash
# Publishes the service exactly as the Dockerfile's build stage does (CI runs this too, so a green CI means the
# image's build step compiles). Output: artifacts/publish (override with $1).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/publish}"
dotnet publish src/AudioClassifier.Api/AudioClassifier.Api.csproj -c Release -r linux-x64 --self-contained false -nologo -o "$out"
echo "published to $out"
