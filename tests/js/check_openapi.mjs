// Checks recorded API responses against api/openapi.json with ajv (JSON
// Schema 2020-12, what OpenAPI 3.1 uses): every response must be documented
// for its path, method and status, with its content type, and its JSON body
// must validate against the schema.
// usage: node check_openapi.mjs openapi.json responses.jsonl
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [specFile, recordsFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'openapi.json');

const deref = (obj) => {
  while (obj && obj.$ref) {
    obj = obj.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => o[k], spec);
  }
  return obj;
};
const pointer = (...parts) => '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

let passed = 0, failed = 0;
const fail = (msg) => { failed++; console.error(msg); };
for (const line of readFileSync(recordsFile, 'utf8').split('\n').filter(Boolean)) {
  const r = JSON.parse(line);
  const item = spec.paths[r.template];
  if (!item) { fail(`undocumented path ${r.template}`); continue; }
  const op = item[r.method === 'head' ? 'get' : r.method];
  if (!op) {
    // An undocumented method must be refused.
    if (r.status === 405) passed++; else fail(`${r.method} ${r.template}: undocumented method answered ${r.status}`);
    continue;
  }
  let response = op.responses[String(r.status)];
  let where = ['paths', r.template, r.method, 'responses', String(r.status)];
  if (!response) { fail(`${r.method} ${r.template}: status ${r.status} is not documented`); continue; }
  if (response.$ref) {
    where = response.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/'));
    response = deref(response);
  }
  if (!response.content) { passed++; continue; }
  const media = response.content[r.content_type];
  if (!media) { fail(`${r.method} ${r.template} ${r.status}: content type ${r.content_type} is not documented`); continue; }
  if (r.body === null || r.body === undefined) { passed++; continue; }  // non-JSON bodies: type checked above
  const validate = ajv.getSchema(`openapi.json${pointer(...where, 'content', r.content_type, 'schema')}`);
  if (validate(r.body)) passed++;
  else fail(`${r.method} ${r.path} ${r.status}: ${ajv.errorsText(validate.errors)}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
