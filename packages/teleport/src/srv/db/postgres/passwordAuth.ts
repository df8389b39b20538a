/**
 * @module srv/db/postgres/passwordAuth
 * The client side of PostgreSQL password authentication, for databases configured with a password the
 * database service keeps (beyond upstream): MD5 (`"md5" + md5(md5(password + user) + salt)`) and
 * SCRAM-SHA-256 (RFC 5802 / RFC 7677, no channel binding: gs2 header "n,,"). Pure: the nonce is
 * injected. The password never leaves these functions except as a proof.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';

/** The PasswordMessage payload for AuthenticationMD5Password. */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user, 'utf8').digest('hex');
  return 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(inner, 'latin1'), salt])).digest('hex');
}

/** One SCRAM-SHA-256 exchange, client side. */
export class ScramClient {
  /** The mechanism name PostgreSQL announces. */
  static readonly MECHANISM = 'SCRAM-SHA-256';
  private readonly clientFirstBare: string;
  private expectedServerSignature: Buffer | null = null;

  /**
   * `user` goes into the n= attribute; PostgreSQL ignores it and libpq sends it empty. `nonce` is
   * injectable for tests (default: 18 random bytes, base64).
   */
  constructor(
    private readonly password: string,
    opts: { user?: string; nonce?: string } = {},
  ) {
    const nonce = opts.nonce ?? randomBytes(18).toString('base64');
    this.clientFirstBare = `n=${saslName(opts.user ?? '')},r=${nonce}`;
  }

  /** client-first-message (for SASLInitialResponse). */
  clientFirst(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  /** client-final-message for the server-first-message (for SASLResponse). */
  clientFinal(serverFirst: Buffer): Buffer {
    const sf = serverFirst.toString('utf8');
    const attrs = parseAttributes(sf);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    const clientNonce = this.clientFirstBare.slice(this.clientFirstBare.indexOf(',r=') + 3);
    if (!nonce || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new BadParameterError('malformed SCRAM server-first-message from the database');
    }
    if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
      throw new AccessDeniedError('the database answered SCRAM authentication with a nonce that does not extend ours');
    }
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${sf},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server-final-message: the server proves it knew the password too. Throws if not. */
  verifyServerFinal(serverFinal: Buffer): void {
    const attrs = parseAttributes(serverFinal.toString('utf8'));
    const err = attrs.get('e');
    if (err) throw new AccessDeniedError(`the database refused SCRAM authentication: ${err}`);
    const v = attrs.get('v');
    if (!this.expectedServerSignature || !v) throw new BadParameterError('malformed SCRAM server-final-message from the database');
    const got = Buffer.from(v, 'base64');
    if (got.length !== this.expectedServerSignature.length || !timingSafeEqual(got, this.expectedServerSignature)) {
      throw new AccessDeniedError('the database failed to prove it knows the password (SCRAM server signature mismatch)');
    }
  }
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** saslname: ',' and '=' escaped as =2C and =3D. */
function saslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttributes(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part.slice(0, 1), part.slice(2));
  }
  return out;
}
