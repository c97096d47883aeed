// Verifies every EdDSA and ES256 record of a JSONL export with the `jose`
// package (panva/jose), using the JWKS the ledger publishes: a second,
// independent JWS implementation. SM2-SM3 records are counted but skipped
// (no JOSE library implements that private algorithm).
// usage: node verify_records.mjs EXPORT.jsonl JWKS.json
import { readFileSync } from 'node:fs';
import { flattenedVerify, importJWK } from 'jose';

const [exportFile, jwksFile] = process.argv.slice(2);
const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')).keys;
const keys = new Map();
for (const k of jwks) {
  if (k.alg === 'EdDSA' || k.alg === 'ES256') keys.set(k.kid, { alg: k.alg, key: await importJWK(k, k.alg) });
}
let verified = 0, skipped = 0, failed = 0;
const lines = readFileSync(exportFile, 'utf8').split('\n').filter((l) => l.length > 0);
for (const [i, line] of lines.entries()) {
  const jws = JSON.parse(line);
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8'));
  const k = keys.get(header.kid);
  if (!k) { skipped++; continue; }
  try {
    const { payload } = await flattenedVerify(jws, k.key, { algorithms: [k.alg] });
    const event = JSON.parse(new TextDecoder().decode(payload));
    if (!event.type || !event.stream) throw new Error('payload is not an event');
    verified++;
  } catch (e) {
    failed++;
    console.error(`line ${i + 1} (${header.kid}): ${e.message}`);
  }
}
console.log(`${verified} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && verified > 0 ? 0 : 1);
