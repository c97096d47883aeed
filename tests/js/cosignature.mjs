// Checks a C2SP tlog-cosignature (cosignature/v1, Ed25519) line over a
// checkpoint, written from the spec with WebCrypto: key ID =
// SHA-256(name || "\n" || 0x04 || key)[:4], signature over
// "cosignature/v1\ntime <t>\n" || the checkpoint body.
// usage: node cosignature.mjs WITNESS_VKEY CHECKPOINT_FILE COSIGNATURE_FILE
// Prints the cosignature's time; exit 1 if it does not verify.
import fs from 'node:fs';

const [vkey, checkpointFile, cosigFile] = process.argv.slice(2);
const subtle = globalThis.crypto.subtle;
const [, name, idHex, keyB64] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
const keyData = Buffer.from(keyB64, 'base64');
const fail = (why) => {
  console.log('FAIL: ' + why);
  process.exit(1);
};
if (keyData.length !== 33 || keyData[0] !== 0x04) fail('not a cosignature/v1 Ed25519 key');
const id = Buffer.from(await subtle.digest('SHA-256', Buffer.concat([Buffer.from(name + '\n'), keyData]))).subarray(0, 4);
if (id.toString('hex') !== idHex) fail('the key ID does not match the key');
const note = fs.readFileSync(checkpointFile, 'utf8');
const body = note.slice(0, note.indexOf('\n\n') + 1);
const m = /^\u2014 (\S+) (\S+)\n$/.exec(fs.readFileSync(cosigFile, 'utf8'));
if (!m || m[1] !== name) fail('not one cosignature line by ' + name);
const blob = Buffer.from(m[2], 'base64');
if (blob.length !== 4 + 8 + 64 || !blob.subarray(0, 4).equals(id)) fail('not a cosignature/v1 by this key');
const time = blob.readBigUInt64BE(4);
const key = await subtle.importKey('raw', keyData.subarray(1), {name: 'Ed25519'}, false, ['verify']);
const message = Buffer.from(`cosignature/v1\ntime ${time}\n` + body);
if (!(await subtle.verify({name: 'Ed25519'}, key, blob.subarray(12), message))) fail('the signature does not verify');
const age = Math.floor(Date.now() / 1000) - Number(time);
if (age < -5 || age > 600) fail(`the cosignature's time is ${age} s from now`);
console.log(`cosignature by ${name} verifies, time ${time}`);
