// A C2SP tlog-tiles client written from the specs (c2sp.org/tlog-tiles,
// tlog-checkpoint, signed-note; RFC 6962/9162 for the tree), not from our
// code: it reads only <prefix>/checkpoint and <prefix>/tile/..., checks the
// checkpoint's signature with the trusted key, recomputes the tree head from
// the hash tiles, checks every entry of the entry bundles against its leaf
// hash and the level-1 tiles against the level-0 ones, and verifies the
// inclusion of random entries. Then (with other endpoints) it checks that
// the API's inclusion proofs and a proof bundle's agree with its own.
//
// usage: node tiles_client.mjs BASE_URL TILES_PREFIX TRUST_JSON [ANSWER_JSON]
import fs from 'node:fs';

const [base, prefix, trustPath, answerPath] = process.argv.slice(2);
const subtle = globalThis.crypto.subtle;
const vkey = JSON.parse(fs.readFileSync(trustPath, 'utf8')).logs[0].log_key;
let failed = 0, passed = 0;
const check = (ok, what) => {
  if (ok) ++passed;
  else {
    ++failed;
    console.log('FAIL: ' + what);
  }
};
const b64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const cat = (...p) => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of p) (out.set(x, at), (at += x.length));
  return out;
};
const sha = async (...p) => new Uint8Array(await subtle.digest('SHA-256', cat(...p)));
const leafHash = (e) => sha(Uint8Array.of(0), e);
const nodeHash = (l, r) => sha(Uint8Array.of(1), l, r);
async function get(path) {
  const r = await fetch(base + prefix + '/' + path);
  return {status: r.status, cache: r.headers.get('cache-control') || '', body: new Uint8Array(await r.arrayBuffer())};
}
// Tile index in 3-digit path elements, "x" before all but the last.
function indexPath(n) {
  const groups = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}
const tilePath = (level, n, w) => `tile/${level}/${indexPath(n)}${w < 256 ? '.p/' + w : ''}`;
const entriesPath = (n, w) => `tile/entries/${indexPath(n)}${w < 256 ? '.p/' + w : ''}`;

// RFC 6962 §2.1: MTH and PATH over leaf hashes.
const split = (n) => 2 ** Math.floor(Math.log2(n - 1));
async function mth(h) {
  if (h.length === 1) return h[0];
  const k = split(h.length);
  return nodeHash(await mth(h.slice(0, k)), await mth(h.slice(k)));
}
async function path(m, h) {
  if (h.length <= 1) return [];
  const k = split(h.length);
  return m < k ? [...(await path(m, h.slice(0, k))), await mth(h.slice(k))]
               : [...(await path(m - k, h.slice(k))), await mth(h.slice(0, k))];
}
// RFC 9162 §2.1.3.2.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) (fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2));
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

// 1. The checkpoint, its signature first (signed-note: Ed25519 over the body).
const cpResp = await get('checkpoint');
check(cpResp.status === 200, 'checkpoint served');
const note = new TextDecoder().decode(cpResp.body);
const [name, hashHex, keyB64] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey).slice(1);
const keyData = b64(keyB64);
const key = await subtle.importKey('raw', keyData.slice(1), {name: 'Ed25519'}, false, ['verify']);
const keyId = (await sha(new TextEncoder().encode(name + '\n'), keyData)).slice(0, 4);
check(Buffer.from(keyId).toString('hex') === hashHex, 'the trusted key hash');
const body = note.slice(0, note.indexOf('\n\n') + 1);
let signed = false;
for (const line of note.slice(body.length + 1).split('\n')) {
  const m = /^\u2014 (\S+) (\S+)$/.exec(line);
  if (!m || m[1] !== name) continue;
  const sig = b64(m[2]);
  if (eq(sig.slice(0, 4), keyId)) signed = await subtle.verify({name: 'Ed25519'}, key, sig.slice(4), new TextEncoder().encode(body));
}
check(signed, 'the checkpoint is signed by the trusted key');
const [origin, sizeText, rootB64] = body.split('\n');
const size = Number(sizeText), root = b64(rootB64);
check(origin === name && size > 256, `origin ${origin}, tree size ${size} (more than one tile)`);

// 2. Level-0 tiles: every leaf hash; the tree head from them alone.
const leaves = [];
for (let n = 0; n * 256 < size; ++n) {
  const w = Math.min(256, size - n * 256);
  const t = await get(tilePath(0, n, w));
  check(t.status === 200 && t.body.length === 32 * w, `${tilePath(0, n, w)}: ${t.status}, ${t.body.length} bytes`);
  check(w < 256 ? /max-age=\d{1,3}\b/.test(t.cache) && !/immutable/.test(t.cache) : /immutable/.test(t.cache),
        `${tilePath(0, n, w)} cache: ${t.cache}`);
  for (let i = 0; i < w; ++i) leaves.push(t.body.slice(32 * i, 32 * i + 32));
}
check(eq(await mth(leaves), root), 'the tree head recomputed from the tiles is the checkpoint root');
// Level 1: each hash is the root of the full level-0 tile under it.
const full = Math.floor(size / 256);
for (let n = 0; n * 256 < full; ++n) {
  const w = Math.min(256, full - n * 256);
  const t = await get(tilePath(1, n, w));
  check(t.status === 200 && t.body.length === 32 * w, `${tilePath(1, n, w)} served`);
  for (let i = 0; i < w; ++i)
    check(eq(t.body.slice(32 * i, 32 * i + 32), await mth(leaves.slice((n * 256 + i) * 256, (n * 256 + i + 1) * 256))),
          `level-1 hash ${i} is its level-0 tile's root`);
}
// 3. Entry bundles: uint16 length + entry; each entry's leaf hash.
let entries = 0;
const entryBytes = [];
for (let n = 0; n * 256 < size; ++n) {
  const w = Math.min(256, size - n * 256);
  const t = await get(entriesPath(n, w));
  check(t.status === 200, `${entriesPath(n, w)} served`);
  let at = 0, k = 0;
  while (at < t.body.length) {
    const len = (t.body[at] << 8) | t.body[at + 1];
    const e = t.body.slice(at + 2, at + 2 + len);
    at += 2 + len;
    if (!eq(await leafHash(e), leaves[n * 256 + k])) check(false, `entry ${n * 256 + k} is not its leaf`);
    entryBytes.push(e);
    ++k;
  }
  check(k === w && at === t.body.length, `${entriesPath(n, w)}: ${k} entries`);
  entries += k;
}
check(entries === size, `every entry (${entries}) matches its leaf hash`);
// Not tiles: beyond the log, and non-canonical spellings.
for (const bad of [tilePath(0, Math.ceil(size / 256) + 1, 256), 'tile/0/x000/000', 'tile/00/000', 'tile/0/000.p/0',
                   'tile/0/000.p/256', entriesPath(Math.floor(size / 256), 255)])
  check((await get(bad)).status === 404, `${bad}: 404`);

// 4. Inclusion of random entries, from the tiles alone.
const picks = Array.from({length: 20}, () => Math.floor(Math.random() * size));
for (const i of picks) check(await verifyInclusion(i, size, leaves[i], await path(i, leaves), root), `entry ${i} included`);
console.log(`tiles: tree size ${size}, root recomputed, ${entries} entries checked, ${picks.length} inclusions verified`);

// 5. Agreement with the API's proofs and a proof bundle's (other endpoints).
for (const i of picks.slice(0, 5)) {
  const r = await (await fetch(`${base}/api/v1/proofs/inclusion?position=${i + 1}&tree_size=${size}`)).json();
  const mine = (await path(i, leaves)).map((h) => Buffer.from(h).toString('base64'));
  check(JSON.stringify(r.proof) === JSON.stringify(mine), `the API's inclusion proof of ${i + 1} is the tiles'`);
}
if (answerPath) {
  const bundle = JSON.parse(fs.readFileSync(answerPath, 'utf8')).proof.bundle;
  const record = /\nrecord (\d+) (\S+)\n/.exec(bundle);
  const bsize = Number(/\n\n[^\n]+\n(\d+)\n/.exec(bundle)[1]);
  const lines = [...bundle.matchAll(/\ninclusion (\S+)/g)].map((m) => m[1]);
  const p = Number(record[1]);
  check(bsize <= size, `the bundle's tree size ${bsize} is in the tiles`);
  check(record[2] === Buffer.from(leaves[p - 1]).toString('base64'), "the bundle's record is the tiles' leaf");
  const mine = (await path(p - 1, leaves.slice(0, bsize))).map((h) => Buffer.from(h).toString('base64'));
  check(JSON.stringify(lines) === JSON.stringify(mine), "the bundle's inclusion proof is the tiles'");
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
