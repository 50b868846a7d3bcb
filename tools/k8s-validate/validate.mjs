// Validates Kubernetes manifests against the API schema with kubernetes-models.
// Usage: node validate.mjs <overlay-dir | file.yaml>...   (directories are rendered with `kubectl kustomize`)
// Exits 1 when any document is invalid or of an unknown apiVersion/kind.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import yaml from "js-yaml";

let failures = 0;
for (const target of process.argv.slice(2)) {
  const text = statSync(target).isDirectory()
    ? execFileSync("kubectl", ["kustomize", target], { encoding: "utf8" })
    : readFileSync(target, "utf8");
  for (const doc of yaml.loadAll(text).filter(Boolean)) {
    const where = `${target}: ${doc.kind}/${doc.metadata?.name}`;
    try {
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
