/**
 * @module pages/PasswordTokenPage
 * Completes an invite or a password reset: shows the user, enrolls the TOTP device with a QR
 * code (rendered locally from the otpauth:// URI, never by a third party) and the secret as text,
 * sets the password, then sends the user to the login page.
 */
import { useEffect, useState, type FormEvent } from 'react';
import QRCode from 'qrcode';
import { api, errorMessage } from '../lib/api.ts';
import { base64Utf8, formatDate } from '../lib/format.ts';
import { buildPath, paths } from '../lib/routes.ts';
import type { PasswordToken } from '../lib/types.ts';
import { navigate } from '../router.tsx';
import { CopyField, ErrorBanner, Loading, TextField } from '../components/common.tsx';

const MIN_PASSWORD = 12;

/** The invite (`kind` "invite") or reset page for `token`. */
export function PasswordTokenPage({ token, kind }: { token: string; kind: 'invite' | 'reset' }) {
  const [info, setInfo] = useState<PasswordToken>();
  const [loadError, setLoadError] = useState<string>();
  const [qr, setQr] = useState<string>();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api<PasswordToken>(`/users/password/token/${encodeURIComponent(token)}`, { auth: false }).then(
      async (t) => {
        if (!live) return;
        setInfo(t);
        if (t.otp_uri) {
          const url = await QRCode.toDataURL(t.otp_uri, { margin: 1, width: 200, errorCorrectionLevel: 'M' });
          if (live) setQr(url);
        }
      },
      (e: unknown) => { if (live) setLoadError(errorMessage(e)); },
    );
    return () => { live = false; };
  }, [token]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (password.length < MIN_PASSWORD) {
      setError(`The password must be at least ${MIN_PASSWORD} characters long.`);
      return;
    }
    if (password !== confirm) {
      setError('The two passwords differ: type the same password twice.');
      return;
    }
    setBusy(true);
    try {
      const res = await api<{ user: string }>('/users/password/token', {
        method: 'PUT',
        auth: false,
        body: { token, password: base64Utf8(password), ...(otp ? { second_factor_token: otp.trim() } : {}) },
      });
      navigate(buildPath(paths.login, {}, { user: res.user, reason: 'password-set' }), { replace: true });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const title = kind === 'invite' ? 'Welcome to Teleport' : 'Reset your password';
  return (
    <main id="main" className="page page-center">
      <form className="card form-card" onSubmit={(e) => void submit(e)} aria-labelledby="token-title">
        <h1 id="token-title">{title}</h1>
        <ErrorBanner error={loadError} />
        <Loading show={!info && !loadError} />
        {info ? (
          <>
            <p>
              {kind === 'invite' ? 'Set up the account ' : 'Choose a new password for '}
              <strong>{info.user}</strong>.
              {info.expires ? <> This link expires {formatDate(info.expires)}.</> : null}
            </p>
            <TextField label="Password" type="password" value={password} onChange={setPassword} autoComplete="new-password"
              required name="password" hint={`At least ${MIN_PASSWORD} characters.`} />
            <TextField label="Confirm password" type="password" value={confirm} onChange={setConfirm}
              autoComplete="new-password" required name="confirm" />
            {info.otp_secret ? (
              <fieldset className="otp-enroll">
                <legend>Two-factor authentication</legend>
                <p>Scan this code with your authenticator app, or enter the secret by hand.</p>
                {qr ? <img className="qr" src={qr} width={200} height={200} alt={`QR code for the TOTP secret of ${info.user}`} /> : null}
                <CopyField text={info.otp_secret} label="TOTP secret" />
                <TextField label="Code from the app" value={otp} onChange={setOtp} autoComplete="one-time-code"
                  inputMode="numeric" pattern="[0-9 ]*" required name="otp" />
              </fieldset>
            ) : null}
            <ErrorBanner error={error} />
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Saving…' : kind === 'invite' ? 'Create account' : 'Reset password'}
            </button>
          </>
        ) : null}
      </form>
    </main>
  );
}
