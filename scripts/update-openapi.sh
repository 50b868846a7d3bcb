#!/usr/bin/env bash
# Regenerates openapi.yaml at the repository root from the running app (the drift test then passes).
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIOCLF_UPDATE_OPENAPI=1 dotnet test tests/AudioClassifier.Api.Tests --filter "FullyQualifiedName~OpenApiDocumentTests" -nologo
echo "openapi.yaml updated"
