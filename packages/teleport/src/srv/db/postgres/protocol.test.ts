/**
 * Golden-byte tests of the PostgreSQL codec: framing, frontend and backend messages, and the password
 * exchanges (SCRAM-SHA-256 against RFC 7677's test vector, MD5 against an independent computation).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  backend,
  encodeRawMessage,
  frontend,
  MessageReader,
  parseBackendMessage,
  parseFrontendMessage,
  type RawMessage,
} from './protocol.ts';
import { md5PasswordResponse, ScramClient } from './passwordAuth.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Feeds bytes one at a time and collects every message. */
function readAll(reader: MessageReader, bytes: Buffer, step = 1): RawMessage[] {
  const out: RawMessage[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    reader.push(bytes.subarray(i, i + step));
    for (let m = reader.next(); m; m = reader.next()) out.push(m);
  }
  return out;
}

const GOLDEN = {
  sslRequest: hex('00000008 04d2162f'),
  gssEncRequest: hex('00000008 04d21630'),
  cancelRequest: hex('00000010 04d2162e 00003039 deadbeef'),
  // user=alice, database=test
  startup: hex('00000022 00030000 7573657200 616c69636500 646174616261736500 7465737400 00'),
  query: hex('51 0000000d 73656c6563742031 00'),
  parse: hex('50 00000017 733100 73656c65637420243100 0001 00000017'),
  bind: hex('42 00000020 00 733100 0002 0000 0001 0002 00000002 3430 00000004 00000002 0000'),
  describe: hex('44 00000008 50 733100'),
  execute: hex('45 00000009 00 00000000'),
  sync: hex('53 00000004'),
  terminate: hex('58 00000004'),
  errorResponse: hex('45 0000001e 53 464154414c00 56 464154414c00 43 323830303000 4d 6e6f00 00'),
  authenticationOk: hex('52 00000008 00000000'),
  readyForQuery: hex('5a 00000005 49'),
  backendKeyData: hex('4b 0000000c 00003039 deadbeef'),
  parameterStatus: hex('53 00000019 636c69656e745f656e636f64696e6700 5554463800'),
};

describe('frontend messages', () => {
  it('serializes to the golden bytes', () => {
    assert.deepEqual(frontend.sslRequest(), GOLDEN.sslRequest);
    assert.deepEqual(frontend.gssEncRequest(), GOLDEN.gssEncRequest);
    assert.deepEqual(frontend.cancelRequest(12345, 0xdeadbeef | 0), GOLDEN.cancelRequest);
    assert.deepEqual(frontend.startup({ user: 'alice', database: 'test' }), GOLDEN.startup);
    assert.deepEqual(frontend.query('select 1'), GOLDEN.query);
    assert.deepEqual(frontend.parse('s1', 'select $1', [23]), GOLDEN.parse);
    assert.deepEqual(frontend.bind({ statement: 's1', paramFormats: [0, 1], params: ['40', hex('00000002')] }), GOLDEN.bind);
    assert.deepEqual(frontend.describe('P', 's1'), GOLDEN.describe);
    assert.deepEqual(frontend.execute(), GOLDEN.execute);
    assert.deepEqual(frontend.sync(), GOLDEN.sync);
    assert.deepEqual(frontend.terminate(), GOLDEN.terminate);
  });

  it('parses the startup phase byte by byte, then switches to typed framing', () => {
    const reader = new MessageReader({ startup: true });
    const bytes = Buffer.concat([GOLDEN.gssEncRequest, GOLDEN.sslRequest, GOLDEN.startup, GOLDEN.query]);
    // Startup parameters live in a null-prototype object (a "__proto__" parameter is just a name).
    const msgs = readAll(reader, bytes)
      .map(parseFrontendMessage)
      .map((m) => (m.kind === 'startup' ? { ...m, parameters: { ...m.parameters } } : m));
    assert.deepEqual(msgs, [
      { kind: 'gssEncRequest' },
      { kind: 'sslRequest' },
      { kind: 'startup', majorVersion: 3, minorVersion: 0, parameters: { user: 'alice', database: 'test' } },
      { kind: 'query', sql: 'select 1' },
    ]);
    assert.equal(reader.inStartupPhase, false);
  });

  it('parses a CancelRequest', () => {
    const [m] = readAll(new MessageReader({ startup: true }), GOLDEN.cancelRequest, 100);
    assert.deepEqual(parseFrontendMessage(m as RawMessage), { kind: 'cancelRequest', processId: 12345, secretKey: 0xdeadbeef | 0 });
  });

  it('parses the extended protocol from one merged chunk', () => {
    const bytes = Buffer.concat([GOLDEN.parse, GOLDEN.bind, GOLDEN.describe, GOLDEN.execute, GOLDEN.sync, GOLDEN.terminate]);
    const msgs = readAll(new MessageReader(), bytes, bytes.length).map(parseFrontendMessage);
    assert.deepEqual(msgs, [
      { kind: 'parse', name: 's1', sql: 'select $1', paramTypes: [23] },
      { kind: 'bind', portal: '', statement: 's1', paramFormats: [0, 1], params: [Buffer.from('40'), hex('00000002')], resultFormats: [] },
      { kind: 'describe', target: 'P', name: 's1' },
      { kind: 'execute', portal: '', maxRows: 0 },
      { kind: 'sync' },
      { kind: 'terminate' },
    ]);
  });

  it('round-trips every message kind through encodeRawMessage', () => {
    const bytes = Buffer.concat([GOLDEN.query, GOLDEN.bind, frontend.copyData(Buffer.from('1\n')), frontend.copyDone(), frontend.copyFail('x'), frontend.close('S', 'a'), frontend.flush(), frontend.password('pw')]);
    const msgs = readAll(new MessageReader(), bytes, 7);
    assert.deepEqual(Buffer.concat(msgs.map(encodeRawMessage)), bytes);
    assert.deepEqual(msgs.map((m) => parseFrontendMessage(m).kind), ['query', 'bind', 'copyData', 'copyDone', 'copyFail', 'close', 'flush', 'password']);
  });

  it('rejects malformed messages with a clear error', () => {
    const parse1 = (b: Buffer, startup = false): unknown => {
      const r = new MessageReader({ startup });
      r.push(b);
      const m = r.next();
      return m && parseFrontendMessage(m);
    };
    assert.throws(() => parse1(hex('00000003 00000000'), true), /invalid PostgreSQL startup packet length 3/);
    assert.throws(() => parse1(hex('00100000 00030000'), true), /invalid PostgreSQL startup packet length/);
    assert.throws(() => parse1(hex('51 00000002')), /invalid PostgreSQL message length 2 for message type 'Q'/);
    assert.throws(() => parse1(hex('51 00000006 6162')), /Query message: a string is not NUL-terminated/);
    assert.throws(() => parse1(hex('00000008 00020000'), true), /unsupported PostgreSQL frontend protocol 2.0/);
    assert.throws(() => parse1(hex('42 00000010 00 00 0000 0001 00000010 0000')), /Bind message: it ends early/);
    assert.throws(() => parse1(hex('44 00000007 58 6100')), /'X' is neither 'S' nor 'P'/);
    assert.throws(() => parse1(hex('53 00000005 00')), /1 unexpected trailing bytes/);
  });

  it('enforces the size limit on kept bodies and streams past skipped ones', () => {
    const big = frontend.query('x'.repeat(100));
    assert.throws(() => parse1Limited(big), /message 'Q' of 101 bytes exceeds the database proxy's limit of 50 bytes/);
    const data = frontend.copyData(Buffer.alloc(1000, 1));
    const reader = new MessageReader({ maxMessageBytes: 50, skip: (t) => t === 'd' });
    const msgs = readAll(reader, Buffer.concat([data, GOLDEN.sync]), 64);
    assert.deepEqual(msgs.map((m) => [m.type, m.bodyLength, m.skipped]), [['d', 1000, true], ['S', 0, false]]);
  });

  it('hands back unread bytes (a ClientHello behind an SSLRequest)', () => {
    const reader = new MessageReader({ startup: true });
    reader.push(Buffer.concat([GOLDEN.sslRequest, hex('160301')]));
    assert.equal(parseFrontendMessage(reader.next() as RawMessage).kind, 'sslRequest');
    assert.equal(reader.next(), null);
    assert.deepEqual(reader.takeBuffered(), hex('160301'));
  });
});

function parse1Limited(b: Buffer): unknown {
  const r = new MessageReader({ maxMessageBytes: 50 });
  r.push(b);
  return r.next();
}

describe('backend messages', () => {
  it('serializes to the golden bytes', () => {
    assert.deepEqual(backend.errorResponse({ severity: 'FATAL', code: '28000', message: 'no' }), GOLDEN.errorResponse);
    assert.deepEqual(backend.authenticationOk(), GOLDEN.authenticationOk);
    assert.deepEqual(backend.readyForQuery('I'), GOLDEN.readyForQuery);
    assert.deepEqual(backend.backendKeyData(12345, 0xdeadbeef | 0), GOLDEN.backendKeyData);
    assert.deepEqual(backend.parameterStatus('client_encoding', 'UTF8'), GOLDEN.parameterStatus);
    assert.deepEqual(backend.authenticationCleartextPassword(), hex('52 00000008 00000003'));
    assert.deepEqual(backend.authenticationMD5Password(hex('01020304')), hex('52 0000000c 00000005 01020304'));
    assert.deepEqual(backend.authenticationSASL(['SCRAM-SHA-256']), hex('52 00000017 0000000a 534352414d2d5348412d32353600 00'));
  });

  it('parses what the engine watches', () => {
    const err = backend.errorResponse({ severity: 'ERROR', code: '57014', message: 'canceling statement due to user request', detail: 'd', hint: 'h' });
    const bytes = Buffer.concat([
      backend.authenticationSASL(['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']),
      backend.authenticationSASLContinue(Buffer.from('r=abc')),
      backend.authenticationSASLFinal(Buffer.from('v=xyz')),
      backend.authenticationMD5Password(hex('01020304')),
      GOLDEN.authenticationOk,
      GOLDEN.parameterStatus,
      GOLDEN.backendKeyData,
      backend.commandComplete('SELECT 1'),
      err,
      backend.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' }),
      GOLDEN.readyForQuery,
      hex('44 00000006 0000 ffff'), // DataRow: passed through unparsed
    ]);
    const msgs = readAll(new MessageReader(), bytes, 3).map(parseBackendMessage);
    assert.deepEqual(msgs.slice(0, 7), [
      { kind: 'authentication', auth: { code: 10, kind: 'sasl', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS'] } },
      { kind: 'authentication', auth: { code: 11, kind: 'saslContinue', data: Buffer.from('r=abc') } },
      { kind: 'authentication', auth: { code: 12, kind: 'saslFinal', data: Buffer.from('v=xyz') } },
      { kind: 'authentication', auth: { code: 5, kind: 'md5Password', salt: hex('01020304') } },
      { kind: 'authentication', auth: { code: 0, kind: 'ok' } },
      { kind: 'parameterStatus', name: 'client_encoding', value: 'UTF8' },
      { kind: 'backendKeyData', processId: 12345, secretKey: 0xdeadbeef | 0 },
    ]);
    assert.deepEqual(msgs[7], { kind: 'commandComplete', tag: 'SELECT 1' });
    const e = msgs[8];
    assert.ok(e?.kind === 'error');
    assert.equal(e.fields.code, '57014');
    assert.equal(e.fields.message, 'canceling statement due to user request');
    assert.equal(e.fields.detail, 'd');
    assert.equal(e.fields.hint, 'h');
    assert.equal(msgs[9]?.kind, 'notice');
    assert.deepEqual(msgs[10], { kind: 'readyForQuery', status: 'I' });
    assert.deepEqual(msgs[11], { kind: 'other', type: 'D' });
  });
});

describe('password authentication', () => {
  it('computes SCRAM-SHA-256 as in RFC 7677', () => {
    const scram = new ScramClient('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    assert.equal(scram.clientFirst().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst = Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    assert.equal(
      scram.clientFinal(serverFirst).toString(),
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    scram.verifyServerFinal(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
    assert.throws(() => scram.verifyServerFinal(Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')), /server signature mismatch/);
  });

  it('refuses a server nonce that does not extend ours', () => {
    const scram = new ScramClient('pencil', { nonce: 'abc' });
    assert.throws(() => scram.clientFinal(Buffer.from('r=xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce/);
  });

  it('computes the MD5 response', () => {
    assert.equal(md5PasswordResponse('alice', 'secret', hex('01020304')), 'md598a0412b9c31436fc53776e863350083');
  });
});

describe('fuzz', () => {
  it('either parses or throws BadParameterError for mutated and random input, never anything else', async () => {
    const { BadParameterError } = await import('@teleport-ts/api/errors');
    let seed = 0x12345678;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const corpus = Object.values(GOLDEN);
    for (let i = 0; i < 20000; i++) {
      const base = Buffer.from(corpus[rand(corpus.length)] as Buffer);
      const input = i % 4 === 0 ? Buffer.from(Array.from({ length: rand(40) }, () => rand(256))) : base;
      for (let k = 0; k < 1 + rand(4); k++) if (input.length > 0) input[rand(input.length)] = rand(256);
      for (const startup of [true, false]) {
        const reader = new MessageReader({ startup, maxMessageBytes: 1 << 16 });
        try {
          reader.push(input);
          for (let m = reader.next(); m; m = reader.next()) {
            parseFrontendMessage(m);
            if (m.type !== null) parseBackendMessage(m);
          }
        } catch (err) {
          if (!(err instanceof BadParameterError)) throw new Error(`input ${input.toString('hex')} threw ${String(err)}`);
        }
      }
    }
  });
});
