// Runs the page's statement verifier (api/page/statement_verifier.js) under
// Node on one bundle or JSON answer, with a trust file's log key and, when
// given, a C2SP tlog-policy file of the witnesses and quorum; prints the
// result as JSON and exits 0 only if it verified.
// usage: node verify_one.mjs VERIFIER_JS FILE VKEY [POLICY_FILE]
import fs from 'node:fs';

const [verifierPath, file, vkey, policyPath] = process.argv.slice(2);
const {verifyStatementBundle} = new Function(fs.readFileSync(verifierPath, 'utf8') + '\nreturn certledgerVerifier;')();
const text = fs.readFileSync(file, 'utf8');
const bundle = text.startsWith('{') ? JSON.parse(text).proof.bundle : text;
const policy = policyPath ? fs.readFileSync(policyPath, 'utf8') : '';
const r = await verifyStatementBundle(bundle, vkey, Date.now(), 600, policy);
delete r.statement;
delete r.statementText;
console.log(JSON.stringify(r));
process.exit(r.ok ? 0 : 1);
