// Statement proof bundle verifier (doc/proof_format.md), written from the
// format pages alone: WebCrypto SHA-256 and Ed25519, nothing else. The
// verification page runs it inline (no script from anywhere else), and the
// test suite runs the same file under Node against bundles the C++ code
// made and broken ones.
//
// verifyStatementBundle(bundle, vkey, nowMs, maxAgeSeconds, policy) resolves to
//   {ok: true, token, statement (object or null), statementText, status,
//    treeSize, checkpointTime (unix s), ageSeconds, fresh, witnesses}
// or {ok: false, error, belowQuorum} naming the first check that failed.
// policy, if given, is a C2SP tlog-policy text (witness, group and quorum
// lines): the checkpoint must carry valid C2SP cosignature/v1 lines of
// enough of its witnesses.
'use strict';

const certledgerVerifier = (() => {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  const enc = new TextEncoder();

  class Broken extends Error {}
  const fail = (why) => {
    throw new Broken(why);
  };

  function b64(s, what) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) fail(what + ' is not base64');
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; ++i) out[i] = bin.charCodeAt(i);
    return out;
  }
  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
    return true;
  }
  async function sha256(...parts) {
    return new Uint8Array(await subtle.digest('SHA-256', concat(...parts)));
  }
  const EMPTY = new Uint8Array(32);
  const bit = (key, i) => (key[i >> 3] >> (7 - (i & 7))) & 1;

  // C2SP signed-note verifier key: <name>+<8 hex key hash>+<base64(0x01 || key)>.
  async function parseVkey(vkey) {
    // The name has no '+'; the base64 key may.
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
    if (!m) fail('the log key is not a note verifier key');
    const parts = m.slice(1);
    const data = b64(parts[2], 'the log key');
    if (data.length !== 33 || data[0] !== 1) fail('the log key is not an Ed25519 key');
    const hash = (await sha256(enc.encode(parts[0] + '\n'), data)).slice(0, 4);
    if (Array.from(hash, (x) => x.toString(16).padStart(2, '0')).join('') !== parts[1])
      fail('the log key hash does not match the key');
    const key = await subtle.importKey('raw', data.slice(1), {name: 'Ed25519'}, false, ['verify']);
    return {name: parts[0], hash, key};
  }

  // C2SP tlog-policy: witness <name> <vkey> [url], group <name> all|any|<k>
  // <member>..., quorum <name>|none; log lines are the caller's business.
  async function parsePolicy(text) {
    const names = new Map();  // name -> {witness: {keyName, hash, key}} or {group: {k, members}}
    let quorum, n = 0;
    for (const raw of text.split('\n')) {
      ++n;
      const bad = (why) => fail('policy line ' + n + ': ' + why);
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(raw)) bad('a control character');
      const it = raw.split(/[ \t]+/).filter((x) => x);
      if (!it.length || it[0].startsWith('#') || it[0] === 'log') continue;
      const fresh = (name) => {
        if (name === 'none' || names.has(name)) bad('the name ' + name + ' is taken');
      };
      if (it[0] === 'witness') {
        if (it.length < 3 || it.length > 4) bad('expected: witness <name> <vkey> [<url>]');
        fresh(it[1]);
        const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(it[2]);
        if (!m) bad('not a verifier key');
        const data = b64(m[3], 'a witness key');
        if (data.length !== 33 || data[0] !== 4) bad('not an Ed25519 cosignature/v1 key (type 0x04)');
        const hash = (await sha256(enc.encode(m[1] + '\n'), data)).slice(0, 4);
        if (Array.from(hash, (x) => x.toString(16).padStart(2, '0')).join('') !== m[2]) bad('witness key hash does not match');
        const key = await subtle.importKey('raw', data.slice(1), {name: 'Ed25519'}, false, ['verify']);
        names.set(it[1], {witness: {name: it[1], keyName: m[1], hash, key}});
      } else if (it[0] === 'group') {
        if (it.length < 4) bad('expected: group <name> all|any|<k> <member>...');
        fresh(it[1]);
        const members = it.slice(3).map((x) => names.get(x) || bad('member ' + x + ' is not defined on an earlier line'));
        if (new Set(it.slice(3)).size !== members.length) bad('a member listed twice');
        const k = it[2] === 'all' ? members.length : it[2] === 'any' ? 1 : /^[1-9][0-9]*$/.test(it[2]) ? Number(it[2]) : 0;
        if (k < 1 || k > members.length) bad('the threshold must be all, any or 1..' + members.length);
        names.set(it[1], {group: {k, members}});
      } else if (it[0] === 'quorum') {
        if (it.length !== 2) bad('expected: quorum <name>');
        if (quorum !== undefined) bad('a second quorum line');
        quorum = it[1] === 'none' ? null : names.get(it[1]) || bad('quorum ' + it[1] + ' is not defined on an earlier line');
      } else {
        bad('unknown keyword ' + it[0]);
      }
    }
    if (quorum === undefined) fail('policy: no quorum line');
    return {quorum, witnesses: [...names.values()].filter((x) => x.witness).map((x) => x.witness)};
  }

  // The witnesses of the policy whose cosignature/v1 line on the note
  // verifies (over "cosignature/v1\ntime <t>\n" and the body); a line by a
  // known witness that does not verify fails.
  async function cosigners(note, policy) {
    const split = note.indexOf('\n\n');
    const body = enc.encode(note.slice(0, split + 1));
    const lines = note.slice(split + 2, -1).split('\n');
    const out = new Set();
    for (const w of policy.witnesses) {
      for (const line of lines) {
        const m = /^\u2014 (\S+) (\S+)$/.exec(line);
        if (!m || m[1] !== w.keyName) continue;
        const sig = b64(m[2], 'a cosignature');
        if (sig.length !== 76 || !equal(sig.slice(0, 4), w.hash)) continue;
        let time = 0n;
        for (const x of sig.slice(4, 12)) time = (time << 8n) | BigInt(x);
        const msg = concat(enc.encode('cosignature/v1\ntime ' + time + '\n'), body);
        if (!(await subtle.verify({name: 'Ed25519'}, w.key, sig.slice(12), msg)))
          fail('checkpoint: the cosignature by ' + w.keyName + ' does not verify');
        out.add(w);
        break;
      }
    }
    return out;
  }
  function satisfied(node, cosigned) {
    if (node.witness) return cosigned.has(node.witness);
    return node.group.members.filter((m) => satisfied(m, cosigned)).length >= node.group.k;
  }

  // The checkpoint (checkpoint_format.md): the signature by the log key
  // over the body's bytes first, then the body.
  async function openCheckpoint(note, log) {
    const split = note.indexOf('\n\n');
    if (split < 0 || !note.endsWith('\n')) fail('checkpoint: no blank line before the signatures');
    const body = note.slice(0, split + 1);
    let signed = false;
    for (const line of note.slice(split + 2, -1).split('\n')) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== log.name) continue;
      const sig = b64(m[2], 'a signature');
      if (sig.length !== 68 || !equal(sig.slice(0, 4), log.hash)) continue;
      if (await subtle.verify({name: 'Ed25519'}, log.key, sig.slice(4), enc.encode(body))) signed = true;
      else fail('checkpoint: the signature does not verify');
    }
    if (!signed) fail('checkpoint: no signature by the log key');
    const lines = body.slice(0, -1).split('\n');
    if (lines.length < 3 || lines[0] !== log.name) fail('checkpoint: not of this log');
    if (!/^(0|[1-9][0-9]{0,19})$/.test(lines[1])) fail('checkpoint: bad tree size');
    const c = {size: BigInt(lines[1]), root: b64(lines[2], 'checkpoint root'), ext: {}};
    if (c.root.length !== 32) fail('checkpoint: the root is not 32 bytes');
    for (const l of lines.slice(3)) {
      const sp = l.indexOf(' ');
      const name = sp < 0 ? l : l.slice(0, sp);
      if (!(name in c.ext)) c.ext[name] = sp < 0 ? '' : l.slice(sp + 1);
    }
    return c;
  }

  // Map proof (state_map_format.md): u16 count, bitmap, present siblings,
  // leaf flag [, key, value hash].
  function decodeMapProof(b) {
    if (b.length < 2) fail('map proof: too short');
    const n = (b[0] << 8) | b[1];
    if (n > 256) fail('map proof: more than 256 siblings');
    let at = 2;
    const bitmapLen = (n + 7) >> 3;
    if (b.length < at + bitmapLen) fail('map proof: truncated bitmap');
    const bitmap = b.slice(at, at + bitmapLen);
    at += bitmapLen;
    const siblings = [];
    for (let i = 0; i < n; ++i) {
      if (!bit(bitmap, i)) {
        siblings.push(EMPTY);
        continue;
      }
      if (b.length < at + 32) fail('map proof: truncated sibling');
      const h = b.slice(at, at + 32);
      if (equal(h, EMPTY)) fail('map proof: an empty sibling marked as present');
      siblings.push(h);
      at += 32;
    }
    for (let i = n; i < bitmapLen * 8; ++i) if (bit(bitmap, i)) fail('map proof: bitmap bits past the count');
    if (b.length < at + 1 || b[at] > 1) fail('map proof: bad leaf flag');
    let leaf = null;
    if (b[at++] === 1) {
      if (b.length < at + 64) fail('map proof: truncated leaf');
      leaf = {key: b.slice(at, at + 32), value: b.slice(at + 32, at + 64)};
      at += 64;
    }
    if (at !== b.length) fail('map proof: trailing bytes');
    return {siblings, leaf};
  }

  async function verifyMap(root, key, value, proof) {
    const depth = proof.siblings.length;
    let h = EMPTY;
    if (value) {
      if (!proof.leaf) fail('map proof: no leaf for a key that should be present');
      if (!equal(proof.leaf.key, key)) fail("map proof: the leaf is another key's");
      if (!equal(proof.leaf.value, value)) fail('map proof: the leaf holds another value');
    } else if (proof.leaf && equal(proof.leaf.key, key)) {
      fail('map proof: the key is present');
    }
    if (proof.leaf) {
      for (let i = 0; i < depth; ++i)
        if (bit(proof.leaf.key, i) !== bit(key, i)) fail("map proof: the leaf is not on the key's path");
      h = await sha256(Uint8Array.of(0), proof.leaf.key, proof.leaf.value);
    }
    for (let i = depth; i-- > 0;)
      h = bit(key, i) ? await sha256(Uint8Array.of(1), proof.siblings[i], h)
                      : await sha256(Uint8Array.of(1), h, proof.siblings[i]);
    if (!equal(h, root)) fail('map proof: the path does not lead to the map root');
  }

  // RFC 9162 §2.1.3.2.
  async function verifyInclusion(index, size, leaf, path, root) {
    if (index >= size) fail('record inclusion: position beyond the tree');
    let fn = index, sn = size - 1n, r = leaf;
    for (const p of path) {
      if (sn === 0n) fail('record inclusion: path too long');
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha256(Uint8Array.of(1), p, r);
        if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await sha256(Uint8Array.of(1), r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n || !equal(r, root)) fail('record inclusion: the path does not lead to the root');
  }

  const chinaDate = (unixSeconds) => new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(0, 10);

  async function verify(bundle, vkey, nowMs, maxAgeSeconds, policyText) {
    if (!subtle) fail('this browser has no WebCrypto (a secure context is needed)');
    const split = bundle.indexOf('\n\n');
    if (split < 0) fail('no blank line before the checkpoint');
    const lines = bundle.slice(0, split).split('\n');
    if (lines[0] !== 'certledger.example/statement-proof/v1') fail('not a statement proof bundle');
    const m = {inclusion: []};
    for (const l of lines.slice(1)) {
      const sp = l.indexOf(' ');
      const name = sp < 0 ? l : l.slice(0, sp), value = sp < 0 ? '' : l.slice(sp + 1);
      if (name === 'inclusion') m.inclusion.push(b64(value, 'an inclusion hash'));
      else if (['token', 'statement', 'map-proof', 'record'].includes(name) && !(name in m) && value) m[name] = value;
      else fail('unexpected line "' + l.slice(0, 40) + '"');
    }
    if (!m.token || !m['map-proof']) fail('a token and a map proof are required');
    if (('statement' in m) !== ('record' in m)) fail('a statement comes with the record that made it, and only then');
    const note = bundle.slice(split + 2);
    const c = await openCheckpoint(note, await parseVkey(vkey));
    let witnesses = [];
    if (policyText) {
      const policy = await parsePolicy(policyText);
      const got = await cosigners(note, policy);
      witnesses = [...got].map((w) => w.name);
      if (policy.quorum && !satisfied(policy.quorum, got)) {
        const e = new Broken('the checkpoint of size ' + c.size + ' is below the witness quorum: cosigned by ' +
                             (witnesses.join(', ') || 'none'));
        e.belowQuorum = true;
        throw e;
      }
    }
    if (!('map-root' in c.ext) || !/^[0-9]{1,19}$/.test(c.ext.time || ''))
      fail('the checkpoint has no map-root or time line');
    const mapRoot = b64(c.ext['map-root'], 'the map root');
    if (mapRoot.length !== 32) fail('the map root is not 32 bytes');
    const time = Number(c.ext.time);
    const out = {ok: true, token: m.token, statement: null, statementText: null, status: 'unknown',
                 treeSize: Number(c.size), checkpointTime: time, witnesses};
    out.ageSeconds = Math.floor(nowMs / 1000) - time;
    out.fresh = out.ageSeconds <= maxAgeSeconds;
    const key = await sha256(enc.encode(m.token));
    const statementBytes = 'statement' in m ? b64(m.statement, 'the statement') : null;
    const value = statementBytes ? await sha256(statementBytes) : null;
    if (value && value.length !== 32) fail('the statement hash');
    await verifyMap(mapRoot, key, value, decodeMapProof(b64(m['map-proof'], 'the map proof')));
    if (!statementBytes) return out;
    const rec = /^([1-9][0-9]{0,19}) (\S+)$/.exec(m.record);
    if (!rec) fail('bad record line');
    const leaf = b64(rec[2], "the record's leaf hash");
    if (leaf.length !== 32) fail("the record's leaf hash is not 32 bytes");
    out.statementText = new TextDecoder('utf-8', {fatal: true}).decode(statementBytes);
    let s;
    try {
      s = JSON.parse(out.statementText);
    } catch (e) {
      fail('the statement is not JSON');
    }
    if (typeof s !== 'object' || s === null || typeof s.status !== 'string' || !Number.isSafeInteger(s.position))
      fail('the statement is not a statement object');
    if (String(s.position) !== rec[1]) fail("the record line is not the statement's position");
    for (const h of m.inclusion) if (h.length !== 32) fail('an inclusion hash is not 32 bytes');
    await verifyInclusion(BigInt(rec[1]) - 1n, c.size, leaf, m.inclusion, c.root);
    out.statement = s;
    out.status = s.status;
    if (s.status === 'valid' && typeof s.valid_until === 'string' && s.valid_until && s.valid_until < chinaDate(time))
      out.status = 'expired';
    return out;
  }

  return {
    verifyStatementBundle: async (bundle, vkey, nowMs, maxAgeSeconds = 60, policy = '') => {
      try {
        return await verify(bundle, vkey, nowMs, maxAgeSeconds, policy);
      } catch (e) {
        return {ok: false, error: e instanceof Broken ? e.message : 'verifier error: ' + e, belowQuorum: !!e.belowQuorum};
      }
    },
    chinaTime: (unixSeconds) => new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(11, 19),
  };
})();

// On the verification page: check the embedded bundle and say so beside
// the status banner.
if (typeof document !== 'undefined') {
  (async () => {
    const data = document.getElementById('certledger-proof');
    const out = document.getElementById('proof-check');
    if (!data || !out) return;
    const p = JSON.parse(data.textContent);  // {token, log_key, policy, max_age_seconds, proof}
    const show = (cls, text) => {
      out.className = 'proof ' + cls;
      out.textContent = text;
    };
    if (!p.proof || p.proof.pending) {
      show('pending', p.proof && p.proof.reason === 'witness_quorum' ? '等待见证方会签…' : '状态刚更新，正在生成证明…');
      if (!sessionStorage.getItem('certledger-reloaded')) {
        sessionStorage.setItem('certledger-reloaded', '1');
        setTimeout(() => location.reload(), 1500);
      }
      return;
    }
    sessionStorage.removeItem('certledger-reloaded');
    const t0 = performance.now();
    const r = await certledgerVerifier.verifyStatementBundle(p.proof.bundle, p.log_key, Date.now(), p.max_age_seconds,
                                                             p.policy || '');
    out.dataset.verifyMs = (performance.now() - t0).toFixed(1);
    if (!r.ok && r.belowQuorum) return show('stale', '无法确认实时状态（见证方会签不足）');
    if (!r.ok) return show('failed', '验证失败：' + r.error);
    if (r.token !== p.token || r.status !== out.dataset.status)
      return show('failed', '验证失败：证明与页面显示的状态不符');
    if (!r.fresh) return show('stale', '无法确认实时状态（证明生成于 ' + r.ageSeconds + ' 秒前）');
    show('verified', '已验证 截至 北京时间 ' + certledgerVerifier.chinaTime(r.checkpointTime));
  })();
}
