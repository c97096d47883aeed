// The page's statement verifier (api/page/statement_verifier.js, written
// from doc/proof_format.md with WebCrypto only) run under Node against
// real answers of a running ledgerd, and against broken copies of them
// made here. Every real answer must verify with the status its file name
// says; every broken one must be refused (or, the old checkpoint, not
// fresh). The broken bundles are written out so the C++ verifier
// (ledgerctl verify-answer) is run on exactly the same bytes.
//
// usage: node verify_bundles.mjs VERIFIER_JS ANSWERS_DIR TRUST_JSON OUT_DIR
// ANSWERS_DIR holds <status>.json answers (unknown.json: a 404's).
import fs from 'node:fs';
import path from 'node:path';
import {webcrypto} from 'node:crypto';

const [verifierPath, answersDir, trustPath, outDir] = process.argv.slice(2);
const {verifyStatementBundle} = new Function(fs.readFileSync(verifierPath, 'utf8') + '\nreturn certledgerVerifier;')();
const vkey = JSON.parse(fs.readFileSync(trustPath, 'utf8')).logs[0].log_key;
fs.mkdirSync(outDir, {recursive: true});

let failed = 0, passed = 0;
const check = (ok, what) => {
  if (ok) ++passed;
  else {
    ++failed;
    console.log('FAIL: ' + what);
  }
};

const b64 = (s) => Buffer.from(s, 'base64');
const lines = (bundle) => bundle.split('\n');
const replaceLine = (bundle, name, f) =>
  lines(bundle).map((l) => (l.startsWith(name + ' ') ? name + ' ' + f(l.slice(name.length + 1)) : l)).join('\n');
const flipB64 = (v, at) => {
  const b = b64(v);
  b[Math.min(at, b.length - 1)] ^= 1;
  return b.toString('base64');
};
const timeOf = (bundle) => Number(/\ntime (\d+)\n/.exec(bundle)[1]);

// A key nobody trusts, as a note verifier key of the same name.
async function otherVkey(name) {
  const kp = await webcrypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
  const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', kp.publicKey));
  const data = Buffer.concat([Buffer.of(1), raw]);
  const h = Buffer.from(await webcrypto.subtle.digest('SHA-256', Buffer.concat([Buffer.from(name + '\n'), data])));
  return name + '+' + h.subarray(0, 4).toString('hex') + '+' + data.toString('base64');
}

const answers = {};
for (const f of fs.readdirSync(answersDir).filter((f) => f.endsWith('.json')).sort())
  answers[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(answersDir, f), 'utf8'));

// Real answers.
for (const [status, a] of Object.entries(answers)) {
  const bundle = a.proof && a.proof.bundle;
  check(typeof bundle === 'string', `${status}: the answer carries a proof bundle`);
  if (typeof bundle !== 'string') continue;
  const now = Date.now();
  const r = await verifyStatementBundle(bundle, vkey, now, 60);
  check(r.ok, `${status}: verifies (${r.error || ''})`);
  check(r.status === status, `${status}: the bundle says ${r.status}`);
  check(r.fresh === true, `${status}: fresh`);
  if (status !== 'unknown') {
    check(a.status === status, `${status}: the answer says ${a.status}`);
    check(r.statement && r.statement.certificate && r.statement.version === a.certificate.version,
          `${status}: the statement is this version's`);
    check(!/"id_number"|\d{17}[\dX]/.test(r.statementText), `${status}: no unmasked ID number in the statement`);
  }
  console.log(`${status}: verified, tree size ${r.treeSize}, ${bundle.length} bytes`);
}

// Broken copies: each must be refused.
const present = answers.revoked.proof.bundle, absent = answers.unknown.proof.bundle;
const otherToken = lines(answers.valid.proof.bundle)[1].slice(6);
const broken = {
  'flipped-statement-byte': replaceLine(present, 'statement', (v) => flipB64(v, 20)),
  'flipped-map-proof-byte': replaceLine(present, 'map-proof', (v) => flipB64(v, 40)),
  'wrong-inclusion-path': replaceLine(present, 'inclusion', (v) => flipB64(v, 0)),
  'dropped-inclusion-hash': lines(present).filter((l, i, all) => i !== all.findIndex((x) => x.startsWith('inclusion '))).join('\n'),
  'wrong-record-position': replaceLine(present, 'record', (v) => String(Number(v.split(' ')[0]) + 1) + ' ' + v.split(' ')[1]),
  'proof-for-another-token': replaceLine(present, 'token', () => otherToken),
  'statement-dropped-to-claim-absence':
      lines(present).filter((l) => !/^(statement|record|inclusion) /.test(l)).join('\n'),
  'absence-proof-for-a-present-token': replaceLine(absent, 'token', () => otherToken),
  'altered-checkpoint-size': present.replace(/\n\n([^\n]+)\n(\d+)\n/, (m, o, n) => `\n\n${o}\n${Number(n) + 1}\n`),
  'altered-checkpoint-time': present.replace(/\ntime (\d+)\n/, (m, t) => `\ntime ${Number(t) + 3600}\n`),
};
for (const [name, bundle] of Object.entries(broken)) {
  check(bundle !== present && bundle !== absent, `${name}: the copy differs`);
  const r = await verifyStatementBundle(bundle, vkey, Date.now(), 60);
  check(!r.ok, `${name}: refused (got ${r.ok ? r.status : r.error})`);
  if (!r.ok) console.log(`${name}: refused: ${r.error}`);
  fs.writeFileSync(path.join(outDir, name + '.bundle'), bundle);
}
{
  const r = await verifyStatementBundle(present, await otherVkey(vkey.split('+')[0]), Date.now(), 60);
  check(!r.ok, `signed by another key: refused (${r.error || r.status})`);
  console.log(`another log key: refused: ${r.error}`);
}
{
  const later = (timeOf(present) + 61) * 1000;
  const r = await verifyStatementBundle(present, vkey, later, 60);
  check(r.ok && r.fresh === false && r.ageSeconds === 61, `an old checkpoint is genuine but not fresh (${JSON.stringify(r)})`);
  console.log(`checkpoint 61 s old: genuine, not fresh`);
  fs.writeFileSync(path.join(outDir, 'good.bundle'), present);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
