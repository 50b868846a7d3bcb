// Validates Kubernetes manifests against the API schema with kubernetes-models.
// Usage: node validate.mjs <overlay-dir | file.yaml>...   (directories are rendered with `kubectl kustomize`)
// Exits 1 when any document is invalid or of an unknown apiVersion/kind. KServe's InferenceService (a CRD that
// kubernetes-models does not ship) is checked as what it is: KServe's component fields by type, and the rest of the
// predictor as the Kubernetes PodSpec it extends.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import yaml from "js-yaml";

// KServe v1beta1 ComponentExtensionSpec fields allowed beside the PodSpec in spec.predictor, with their checks.
const kserveFields = {
  minReplicas: (v) => Number.isInteger(v) && v >= 0,
  maxReplicas: (v) => Number.isInteger(v) && v >= 0,
  scaleTarget: (v) => Number.isInteger(v) && v > 0,
  scaleMetric: (v) => ["cpu", "memory", "concurrency", "rps"].includes(v),
  containerConcurrency: (v) => Number.isInteger(v) && v >= 0,
  timeout: (v) => Number.isInteger(v) && v > 0,
  canaryTrafficPercent: (v) => Number.isInteger(v) && v >= 0 && v <= 100,
  labels: (v) => typeof v === "object",
  annotations: (v) => typeof v === "object",
  logger: (v) => typeof v === "object",
  batcher: (v) => typeof v === "object",
  deploymentStrategy: (v) => typeof v === "object",
};

async function validateInferenceService(doc) {
  if (!doc.metadata?.name) throw new Error("metadata.name is required");
  const predictor = doc.spec?.predictor;
  if (!predictor || typeof predictor !== "object") throw new Error("spec.predictor is required");
  if (!Array.isArray(predictor.containers) || predictor.containers.length !== 1)
    throw new Error("a custom predictor has exactly one container in spec.predictor.containers");
  const podSpec = {};
  for (const [key, value] of Object.entries(predictor)) {
    if (key in kserveFields) {
      if (!kserveFields[key](value)) throw new Error(`spec.predictor.${key}: invalid value ${JSON.stringify(value)}`);
    } else {
      podSpec[key] = value;
    }
  }
  if (doc.spec.predictor.minReplicas > doc.spec.predictor.maxReplicas)
    throw new Error("spec.predictor.minReplicas is above maxReplicas");
  const { Pod } = await import("kubernetes-models/v1");
  new Pod({ apiVersion: "v1", kind: "Pod", metadata: { name: doc.metadata.name }, spec: podSpec }).validate();
}


let failures = 0;
for (const target of process.argv.slice(2)) {
  const text = statSync(target).isDirectory()
    ? execFileSync("kubectl", ["kustomize", target], { encoding: "utf8" })
    : readFileSync(target, "utf8");
  for (const doc of yaml.loadAll(text).filter(Boolean)) {
    const where = `${target}: ${doc.kind}/${doc.metadata?.name}`;
    try {
      if (doc.apiVersion === "serving.kserve.io/v1beta1" && doc.kind === "InferenceService") {
        await validateInferenceService(doc);
        console.log(`ok      ${where}`);
        continue;
      }
      const group = doc.apiVersion.includes("/") ? doc.apiVersion : `v1`;
      const module = await import(`kubernetes-models/${group}`);
      const Model = module[doc.kind];
      if (!Model) throw new Error(`unknown kind ${doc.kind} in ${doc.apiVersion}`);
      new Model(doc).validate();
      console.log(`ok      ${where}`);
    } catch (e) {
      failures++;
      console.log(`INVALID ${where}: ${e.message.split("\n").slice(0, 6).join(" | ")}`);
    }
  }
}
console.log(failures === 0 ? "all manifests valid" : `${failures} invalid manifest(s)`);
process.exit(failures === 0 ? 0 : 1);
