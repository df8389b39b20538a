/**
 * @module pages/LoginPage
 * Password + OTP login. Shows the server's message for a wrong password, a locked account or an
 * expired session, and after success goes back to where the user was.
 */
import { useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage, setToken } from '../lib/api.ts';
import { safeRedirect } from '../lib/routes.ts';
import type { LoginResponse, Me, Ping } from '../lib/types.ts';
import { navigate, useLocation } from '../router.tsx';
import { ErrorBanner, Notice, TextField } from '../components/common.tsx';

/**
 * Why the user landed on the login page, from `?reason=`. Only known codes are shown: the URL is
 * attacker-controlled, and free text from it would let a crafted link put words in our mouth.
 */
function reasonText(reason: string | null): string | null {
  if (reason === 'expired') return 'Your web session expired: log in again.';
  if (reason === 'password-set') return 'Your password is set: log in with it.';
  return null;
}

/** The login form. `onLoggedIn` receives /me so the shell does not fetch it again. */
export function LoginPage({ ping, pingError, onLoggedIn }: {
  ping: Ping | null;
  pingError: string | undefined;
  onLoggedIn: (me: Me | null) => void;
}) {
  const { search } = useLocation();
  const [user, setUser] = useState(search.get('user') ?? '');
  const [pass, setPass] = useState('');
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const secondFactor = ping?.auth?.second_factor ?? 'otp';
  const needsOtp = secondFactor !== 'off';
  const reason = reasonText(search.get('reason'));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<LoginResponse>('/sessions/web', {
        method: 'POST',
        auth: false,
        body: { user, pass, ...(otp ? { second_factor_token: otp.trim() } : {}) },
      });
      setToken(res.token);
      const me = await api<Me>('/me').catch(() => null);
      onLoggedIn(me);
      navigate(safeRedirect(search.get('redirect')), { replace: true });
    } catch (err) {
      setPass('');
      setOtp('');
      setError(err instanceof ApiError && err.status === 0 ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="page page-center">
      <form className="card form-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Log in{ping ? ` to ${ping.cluster_name}` : ''}</h1>
        {reason && !error ? <Notice>{reason}</Notice> : null}
        <ErrorBanner error={error ?? pingError} />
        <TextField label="Username" value={user} onChange={setUser} autoComplete="username" required autoFocus name="user" />
        <TextField label="Password" type="password" value={pass} onChange={setPass} autoComplete="current-password" required name="password" />
        {needsOtp ? (
          <TextField label={secondFactor === 'optional' ? 'Authenticator code (if enrolled)' : 'Authenticator code'}
            value={otp} onChange={setOtp} autoComplete="one-time-code" inputMode="numeric" pattern="[0-9 ]*"
            required={secondFactor === 'otp' || secondFactor === 'on'} name="otp" />
        ) : null}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
