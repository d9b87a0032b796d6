// Validates the Strimzi and CloudNativePG objects of a rendered overlay against the models that
// @kubernetes-models generates from those operators' CRDs (installed by setup.sh):
//   1. values: each model's validate() (types, enums, required fields, bounds of the CRD schema);
//   2. strictness: every object is type-checked as a TypeScript literal `satisfies` its model's
//      interface, so a field the CRD does not define is an error (excess property check).
//
//   node operator_models.mjs <objects.json>   (a JSON array of objects; others are ignored)
// Exit 0 when all are valid; prints one line per problem otherwise.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TOOLS = process.env.DATAPARK_K8S_TOOLS
  ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", ".local", "k8s-tools");
const NPM = join(TOOLS, "npm");
const PACKAGES = {
  "kafka.strimzi.io": "@kubernetes-models/strimzi-kafka-operator",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
};

const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const checked = [];
for (const object of objects) {
  const [group, version] = String(object.apiVersion ?? "").split("/");
  const pkg = PACKAGES[group];
  if (!pkg) continue;
  const module = `${pkg}/${group}/${version}/${object.kind}`;
  const name = `${object.kind} ${object.metadata?.name}`;
  let Model;
  try {
    Model = (await import(join(NPM, "node_modules", module) + ".js"))[object.kind];
  } catch (error) {
    problems.push(`${name}: no model ${module} (${error.message})`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
  checked.push({ module, kind: object.kind, name, object });
}

if (checked.length > 0) {
  const dir = mkdtempSync(join(NPM, "check-"));
  try {
    const lines = checked.map(
      (c, i) => `import type { I${c.kind} as T${i} } from "${c.module}";\n`
        + `// ${c.name}\nexport const o${i} = ${JSON.stringify(c.object, null, 1)} satisfies T${i};\n`,
    );
    writeFileSync(join(dir, "objects.ts"), lines.join("\n"));
    const tsc = join(NPM, "node_modules", "typescript", "bin", "tsc");
    try {
      execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck",
        "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022",
        join(dir, "objects.ts")], { cwd: NPM, encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim();
      problems.push(`strict check (unknown or misplaced fields):\n${output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const problem of problems) console.log(problem);
console.log(`operator objects: ${checked.length} checked, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
