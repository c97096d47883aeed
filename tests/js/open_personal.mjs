// A second implementation of the personal-data chain (doc/kafka_topics.md,
// doc/event_format.md): with the npm `jose` package, an entitled
// consumer's X25519 key (PKCS#8 PEM) opens its wrap in a <prefix>.keys
// message (JWE ECDH-ES, A256GCM), and the data key it gets opens the sealed
// `personal` member of a signed record (JWE dir, A256GCM). Prints the
// opened fields as JSON; exits 1 when anything does not open.
// usage: node open_personal.mjs KEY.pem KEYS_MESSAGE.json RECORD.json NAME
import { compactDecrypt, importPKCS8 } from 'jose';
import fs from 'node:fs';

const [pemFile, messageFile, recordFile, name] = process.argv.slice(2);
try {
  const key = await importPKCS8(fs.readFileSync(pemFile, 'utf8'), 'ECDH-ES');
  const message = JSON.parse(fs.readFileSync(messageFile, 'utf8'));
  const { plaintext: dataKey } = await compactDecrypt(message.recipients[name], key);
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  const event = JSON.parse(Buffer.from(record.payload, 'base64url').toString('utf8'));
  const { plaintext, protectedHeader } = await compactDecrypt(event.data.personal.jwe, dataKey);
  if (protectedHeader.kid !== event.data.personal.holder) throw new Error('kid is not the holder');
  console.log(JSON.stringify(JSON.parse(new TextDecoder().decode(plaintext)).fields));
} catch (e) {
  console.error(`does not open: ${e.message}`);
  process.exit(1);
}
