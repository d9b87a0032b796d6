// Parses an AsyncAPI document with the official parser (@asyncapi/parser) and validates every
// message example against its message's payload and headers schemas (ajv, draft-07 like the
// AsyncAPI Schema Object). Prints one JSON object on stdout:
//   {"diagnostics": [{severity, code, message, path}], "examples": {"checked": n, "errors": [...]}}
// and exits 1 when the parser reports an error, the document cannot be parsed, or an example
// does not validate. Usage: node check.mjs <path/to/asyncapi.json>
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Parser, fromFile } from "@asyncapi/parser";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const SEVERITY = ["error", "warning", "information", "hint"];

const file = resolve(process.argv[2] ?? "");
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, file).parse();
const report = {
  diagnostics: diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join("/"),
  })),
  examples: { checked: 0, errors: [] },
};

if (document) {
  // the raw document keeps every $ref, so validate through ajv with the components registered
  const raw = JSON.parse(await readFile(file, "utf8"));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ components: raw.components ?? {} }, "asyncapi");
  const rebase = (schema) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"asyncapi#/components/'));
  for (const message of document.allMessages()) {
    const examples = message.examples().all();
    const payload = message.payload()?.json();
    const headers = message.headers()?.json();
    const id = message.id();
    const rawMessage = raw.components?.messages?.[id];
    for (const example of examples) {
      report.examples.checked += 1;
      const checks = [
        ["payload", rawMessage?.payload ?? payload, example.payload()],
        ["headers", rawMessage?.headers ?? headers, example.headers()],
      ];
      for (const [part, schema, value] of checks) {
        if (schema === undefined || value === undefined) {
          report.examples.errors.push({ message: id, example: example.name(), part, error: "missing" });
          continue;
        }
        const validate = ajv.compile(rebase(schema));
        if (!validate(value)) {
          report.examples.errors.push({
            message: id,
            example: example.name(),
            part,
            error: ajv.errorsText(validate.errors),
          });
        }
      }
    }
  }
}

console.log(JSON.stringify(report, null, 2));
const failed =
  !document ||
  report.diagnostics.some((d) => d.severity === "error") ||
  report.examples.errors.length > 0;
process.exit(failed ? 1 : 0);
