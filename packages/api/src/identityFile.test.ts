/**
 * @module identityFile.test
 * Identity file round trips with real keys and certificates, OpenSSH's own reading of the key
 * (ssh-keygen, when installed), upstream-style files, and rejection of things that are not identity files.
 */
import 'reflect-metadata';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  formatKnownHostsCALine, loadPrivateKey, openSSHIdentityFiles, parseIdentityFile, parseKnownHostsCALine,
  writeIdentityFile, type IdentityMaterial,
} from './identityFile.ts';
import { generateKeyPair, privateKeyToPEM, type KeyAlgorithm } from './keys.ts';
import { formatCertificateLine, signCertificate } from './sshcert/certificate.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from './sshcert/publicKey.ts';
import { BadParameterError } from './errors.ts';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const subtle = webcrypto as unknown as Crypto; // node's webcrypto is the standard Crypto; the DOM type lives in lib.dom

async function cert(ca: boolean): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']) as CryptoKeyPair;
  const c = await x509.X509CertificateGenerator.createSelfSigned({
    name: ca ? 'CN=example.com' : 'CN=alice', keys, signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(ca, undefined, true)],
  }, subtle);
  return `${c.toString('pem')}\n`; // parsed blocks end with a newline
}

async function material(keyAlgorithm: KeyAlgorithm): Promise<IdentityMaterial> {
  const user = generateKeyPair(keyAlgorithm);
  const ca = generateKeyPair('ed25519');
  const blob = signCertificate({
    type: 'user', publicKey: sshPublicKeyBlob(user.publicKey), serial: 0n, keyId: 'alice', principals: ['alice'],
    validAfter: 0, validBefore: 2_000_000_000, criticalOptions: {}, extensions: { 'permit-pty': '' },
  }, ca.privateKey);
  return {
    privateKeyPEM: privateKeyToPEM(user.privateKey),
    sshCert: formatCertificateLine(blob).trim(),
    tlsCert: await cert(false),
    tlsCACerts: [await cert(true), await cert(true)],
    sshCAKeys: [{ clusterName: 'example.com', authorizedKey: formatAuthorizedKey(sshPublicKeyBlob(ca.publicKey)).trim() }],
  };
}

const hasSSHKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;

describe('identity file', () => {
  let ed: IdentityMaterial;
  let ec: IdentityMaterial;
  let dir: string;
  before(async () => {
    ed = await material('ed25519');
    ec = await material('ecdsa-p256');
    dir = mkdtempSync(join(tmpdir(), 'idfile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the upstream layout: key, SSH cert, TLS cert, @cert-authority lines, CA certificates', () => {
    const text = writeIdentityFile(ed);
    const markers = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'ssh-ed25519-cert-v01@openssh.com ', '-----BEGIN CERTIFICATE-----',
      '@cert-authority example.com,*.example.com ssh-ed25519 '];
    const positions = markers.map((m) => text.indexOf(m));
    assert.ok(positions.every((p) => p >= 0), `all parts present: ${positions.join(',')}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    assert.equal(positions[0], 0, 'starts with the private key so ssh -i works');
    assert.ok(text.lastIndexOf('-----BEGIN CERTIFICATE-----') > (positions[3] as number), 'TLS CAs come last');
    assert.ok(text.endsWith('-----END CERTIFICATE-----\n'));
    assert.match(writeIdentityFile(ed, { proxyHost: 'proxy.example.com' }), /@cert-authority proxy\.example\.com,example\.com,\*\.example\.com /);
  });

  for (const kind of ['ed25519', 'ecdsa-p256'] as const) {
    it(`round-trips an ${kind} identity`, () => {
      const id = kind === 'ed25519' ? ed : ec;
      const text = writeIdentityFile(id);
      const back = parseIdentityFile(text);
      assert.equal(back.sshCert, id.sshCert);
      assert.equal(back.tlsCert, id.tlsCert);
      assert.deepEqual(back.tlsCACerts, id.tlsCACerts);
      assert.deepEqual(back.sshCAKeys, id.sshCAKeys);
      const original = createPublicKey(loadPrivateKey(id.privateKeyPEM));
      assert.ok(createPublicKey(loadPrivateKey(back.privateKeyPEM)).equals(original));
      assert.equal(back.privateKeyPEM.includes('OPENSSH PRIVATE KEY'), kind === 'ed25519');
      assert.equal(writeIdentityFile(back), text, 'writing what was read gives the same bytes');
    });
  }

  it('is readable by OpenSSH (ssh-keygen -y derives the public key)', { skip: !hasSSHKeygen && 'ssh-keygen not installed' }, () => {
    for (const id of [ed, ec]) {
      const path = join(dir, `id-${Math.random().toString(36).slice(2)}`);
      writeFileSync(path, writeIdentityFile(id), { mode: 0o600 });
      const pub = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim();
      const expected = formatAuthorizedKey(sshPublicKeyBlob(createPublicKey(loadPrivateKey(id.privateKeyPEM)))).trim();
      assert.equal(pub.split(' ').slice(0, 2).join(' '), expected);
    }
  });

  it('writes the openssh format: key (0600) and <path>-cert.pub that ssh-keygen -L reads', () => {
    const files = openSSHIdentityFiles(join(dir, 'alice'), ed);
    assert.deepEqual(files.map((f) => [f.path, f.mode]), [[join(dir, 'alice'), 0o600], [join(dir, 'alice-cert.pub'), 0o644]]);
    assert.match(files[0]?.data ?? '', /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.equal(files[1]?.data, `${ed.sshCert}\n`);
    if (hasSSHKeygen) {
      for (const f of files) writeFileSync(f.path, f.data, { mode: f.mode });
      assert.match(execFileSync('ssh-keygen', ['-L', '-f', files[1]?.path ?? ''], { encoding: 'utf8' }), /Key ID: "alice"/);
    }
    const { sshCert: _dropped, ...noSSH } = ed;
    assert.throws(() => openSSHIdentityFiles('x', noSSH), /needs an SSH certificate/);
  });

  it('reads upstream-style files: PKCS#1 RSA key, CRLF line ends, proxy in the host list, no user TLS cert', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    const ca = await cert(true);
    const text = [pkcs1.trim(), ed.sshCert, '@cert-authority proxy.example.com,example.com,*.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 type=host', ca]
      .join('\n').replace(/\n/g, '\r\n');
    const id = parseIdentityFile(text);
    assert.match(id.privateKeyPEM, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(id.tlsCert, undefined, 'a CA certificate is not taken for the user certificate');
    assert.deepEqual(id.tlsCACerts, [ca]);
    assert.deepEqual(id.sshCAKeys, [{ clusterName: 'example.com', authorizedKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0' }]);
  });

  it('rejects files that are not identity files with a message that says what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /not an identity file: it holds no private key or certificates/],
      ['{"kind":"user"}\n', /not an identity file: .*tctl auth sign --format=file/],
      [`${ed.sshCert}\n${ed.tlsCert}`, /it has certificates but no private key/],
      [writeIdentityFile(ed).split('ssh-ed25519-cert')[0] as string, /private key but no SSH or TLS user certificate/],
      ['-----BEGIN PRIVATE KEY-----\nMC4CAQA\n', /has no END line/],
      ['-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n', /could not parse the private key/],
      [`${ed.privateKeyPEM}${ec.privateKeyPEM}${ed.sshCert}\n`, /more than one private key/],
      [`${ed.privateKeyPEM}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`, /not a valid X.509 certificate/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseIdentityFile(text), (err: unknown) => err instanceof BadParameterError && message.test(err.message), message.source);
    }
  });

  it('formats and parses @cert-authority lines', () => {
    const line = formatKnownHostsCALine('example.com', 'ssh-ed25519 AAAAKEY comment here', 'proxy.example.com');
    assert.equal(line, '@cert-authority proxy.example.com,example.com,*.example.com ssh-ed25519 AAAAKEY type=host');
    assert.deepEqual(parseKnownHostsCALine(line), {
      hosts: ['proxy.example.com', 'example.com', '*.example.com'], clusterName: 'example.com',
      authorizedKey: 'ssh-ed25519 AAAAKEY', comment: 'type=host',
    });
    assert.equal(formatKnownHostsCALine('c', 'ssh-ed25519 K', 'c'), '@cert-authority c,*.c ssh-ed25519 K type=host');
    assert.equal(parseKnownHostsCALine('host.example.com ssh-ed25519 AAAA'), undefined);
    assert.throws(() => formatKnownHostsCALine('c', 'garbage'), BadParameterError);
  });
});
