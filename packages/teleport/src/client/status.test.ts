/**
 * @module client/status.test
 * `tsh status` output from real certificates at a fixed "now": the upstream layout, expiry, an
 * identity file (-i), and what is read from which certificate.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { parseIdentityFile, writeIdentityFile } from '@teleport-ts/api/identityFile';
import { describeCredentials, formatGoTimeUTC, formatStatus, formatStatusList, validityNote } from './status.ts';
import { issueFixtureCredentials, type FixtureCredentials } from './testFixtures.ts';

// Fixture certificates are valid 2026-01-01 00:00 to 12:00 UTC.
const issued = Date.UTC(2026, 0, 1);

describe('tsh status', () => {
  let creds: FixtureCredentials;
  before(async () => {
    creds = await issueFixtureCredentials();
  });

  it('reads user, cluster, roles, logins, expiry and OpenSSH permissions from the certificates', () => {
    const info = describeCredentials(creds, new Date(issued + 60_000));
    assert.deepEqual(info, {
      username: 'alice', cluster: 'example.com', roles: ['access', 'editor'], logins: ['alice', 'root'],
      traits: { logins: ['alice', 'root'] }, kubernetesUsers: [], kubernetesGroups: [], activeRequests: [],
      validUntil: new Date(issued + 12 * 3600_000), expired: false,
      extensions: ['permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty'],
    });
    assert.equal(describeCredentials(creds, new Date(issued + 12 * 3600_000)).expired, true);
  });

  it('prints the active profile like upstream', () => {
    const clock = new FakeClock(issued + 60_000);
    const info = describeCredentials(creds, clock.now());
    assert.equal(formatStatus({ profileURL: 'https://proxy.example.com:3080', active: true, info }, clock.now()), [
      '> Profile URL:        https://proxy.example.com:3080',
      '  Logged in as:       alice',
      '  Cluster:            example.com',
      '  Roles:              access, editor',
      '  Logins:             alice, root',
      '  Kubernetes:         disabled',
      '  Valid until:        2026-01-01 12:00:00 +0000 UTC [valid for 11h59m0s]',
      '  Extensions:         permit-agent-forwarding, permit-port-forwarding, permit-pty',
      '',
    ].join('\n'));
    clock.advance(12 * 3600_000);
    assert.match(formatStatus({ profileURL: 'https://proxy.example.com:3080', info }, clock.now()),
      /^ {2}Profile URL: {8}https:\/\/proxy\.example\.com:3080\n[\s\S]*Valid until: {8}2026-01-01 12:00:00 \+0000 UTC \[EXPIRED\]\n/);
  });

  it('prints an identity file given with -i', () => {
    const id = parseIdentityFile(writeIdentityFile({
      privateKeyPEM: creds.privateKeyPEM, sshCert: creds.sshCert, tlsCert: creds.tlsCert, tlsCACerts: [creds.tlsCACert], sshCAKeys: [],
    }));
    const now = new Date(issued + 3600_000);
    const out = formatStatus({ identityFile: '/tmp/alice.pem', active: true, info: describeCredentials(id, now) }, now);
    assert.match(out, /^> Identity file: {6}\/tmp\/alice\.pem\n {2}Logged in as: {7}alice\n/);
    assert.match(out, /\[valid for 11h0m0s\]/);
    const both = formatStatus({ profileURL: 'https://p:3080', identityFile: 'id.pem', info: describeCredentials(id, now) }, now);
    assert.match(both, /^ {2}Profile URL: {8}https:\/\/p:3080\n {2}Identity file: {6}id\.pem\n/);
  });

  it('hides internal principals, shows Kubernetes access and falls back to the TLS certificate', async () => {
    const kube = await issueFixtureCredentials({ logins: ['-teleport-nologin-1234', 'ubuntu', '-teleport-internal-join'], kubernetesGroups: ['system:masters'] });
    const now = new Date(issued);
    const info = describeCredentials(kube, now);
    assert.deepEqual(info.logins, ['ubuntu']);
    const out = formatStatus({ profileURL: 'https://p:3080', info }, now);
    assert.match(out, / {2}Kubernetes: {9}enabled\n {2}Kubernetes groups: {2}system:masters\n/);

    const tlsOnly = describeCredentials({ tlsCert: kube.tlsCert }, now);
    assert.equal(tlsOnly.username, 'alice');
    assert.equal(tlsOnly.cluster, 'example.com');
    assert.deepEqual(tlsOnly.roles, ['access', 'editor']);
    assert.deepEqual(tlsOnly.extensions, []);
    assert.throws(() => describeCredentials({}), /tsh login/);
  });

  it('formats times and remaining validity as Go does', () => {
    const t = new Date(Date.UTC(2026, 10, 21, 17, 0, 0));
    assert.equal(formatGoTimeUTC(t), '2026-11-21 17:00:00 +0000 UTC');
    assert.equal(validityNote(t, new Date(t.getTime() - 30_000)), 'valid for <1m');
    assert.equal(validityNote(t, new Date(t.getTime() - 90_000)), 'valid for 2m0s');
    assert.equal(validityNote(t, t), 'EXPIRED');
  });

  it('lists the active profile first and says when nobody is logged in', () => {
    const now = new Date(issued);
    const info = describeCredentials(creds, now);
    const out = formatStatusList([{ profileURL: 'https://b:3080', info }, { profileURL: 'https://a:3080', active: true, info }], now);
    assert.ok(out.startsWith('> Profile URL:        https://a:3080\n'));
    assert.match(out, /\n\n {2}Profile URL: {8}https:\/\/b:3080\n/);
    assert.equal(formatStatusList([], now), 'Not logged in.\n');
  });
});
