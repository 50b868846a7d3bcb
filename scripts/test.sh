#!/usr/bin/env bash
# Runs every test in the solution on a fresh machine: installs the command-line encoders the tests use to make
# real MP3s (lame, sox) and the compiler for the TorchSharp shim (g++) when missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v lame >/dev/null 2>&1 || need+=(lame)
command -v g++ >/dev/null 2>&1 || need+=(g++)   # builds the TorchSharp libstdc++ shim
command -v npx >/dev/null 2>&1 || need+=(nodejs npm)   # OpenAPI linter, manifest validation, browser test
[ -x /usr/bin/chromium ] || need+=(chromium)            # headless browser test of the demo page
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing ${need[*]} (apt)"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "==> building"
dotnet build AudioClassifier.slnx -c Release -nologo -v quiet

echo "==> checking dependencies for known vulnerabilities"
vulnerable=$(dotnet list AudioClassifier.slnx package --vulnerable --include-transitive 2>&1)
if echo "$vulnerable" | grep -q "has the following vulnerable packages"; then
  echo "$vulnerable" >&2
  exit 1
fi

echo "==> publishing the service (same command as the Dockerfile's build stage)"
bash scripts/publish.sh artifacts/publish cpu >/dev/null
bash scripts/publish.sh artifacts/publish-gpu gpu >/dev/null   # the GPU image's tree (DeploymentTests checks both)

echo "==> validating Kubernetes manifests (kubectl kustomize + kubernetes-models schema)"
if ! command -v kubectl >/dev/null 2>&1; then
  $sudo_cmd apt-get install -y -qq kubectl >/dev/null 2>&1 || $sudo_cmd apt-get install -y -qq kubernetes-client >/dev/null
fi
(cd tools/k8s-validate && npm ci --silent --no-audit --no-fund)
node tools/k8s-validate/validate.mjs k8s/overlays/cpu k8s/overlays/gpu k8s/overlays/cpu-model-volume k8s/kserve/inferenceservice.yaml
for invalid in tools/k8s-validate/fixtures/invalid-*.yaml; do
  if node tools/k8s-validate/validate.mjs "$invalid" >/dev/null; then
    echo "the manifest validator accepted a known-invalid manifest: $invalid" >&2
    exit 1
  fi
done

echo "==> installing the browser test's playwright-core"
(cd tests/browser && npm ci --silent --no-audit --no-fund)

echo "==> linting openapi.yaml (@redocly/cli)"
npx --yes @redocly/cli@2.77.0 lint openapi.yaml --format stylish

echo "==> testing"
log=$(mktemp)
set +e
# One test project at a time (-m:1): several of them time real services, budgets and CPU use, and the training tests
# keep both cores busy; run side by side on a loaded 2-core CI machine they once took 78 minutes and failed on
# timing alone. One at a time costs about three minutes on an idle machine.
dotnet test AudioClassifier.slnx -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then
  echo "==> HTTP load benchmark, smoke run (seconds, no thresholds; full run: scripts/bench-http.sh)"
  bash scripts/bench-http.sh --smoke
fi
# One summary line over all test projects ("N passed, N failed").
awk '/(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) } }
     END { printf "Tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
