/**
 * @module proxy/web/handlers/invitePage
 * The plain invite/reset page (/web/invite/<token>, /web/reset/<token>) until the React UI lands:
 * shows the user name and the TOTP secret to enroll, and posts the password and code to the JSON API.
 * All script is in /web/invite.js so the strict Content-Security-Policy needs no 'unsafe-inline'.
 */
import { sendPage } from '../http.ts';
import type { Handler } from '../router.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Teleport - set up your account</title>
<link rel="stylesheet" href="/web/invite.css">
</head>
<body>
<main>
<h1>Set up your account</h1>
<p id="status" role="status">Loading invitation…</p>
<form id="form" hidden>
  <p>User: <strong id="user"></strong></p>
  <label for="password">Password (at least 12 characters)</label>
  <input id="password" type="password" autocomplete="new-password" minlength="12" required>
  <label for="confirm">Confirm password</label>
  <input id="confirm" type="password" autocomplete="new-password" minlength="12" required>
  <section id="otp" hidden>
    <p>Add this account to your authenticator app with the secret below (or open the link on your phone), then enter the 6-digit code it shows.</p>
    <p>Secret: <code id="secret"></code></p>
    <p><a id="uri" href="#">otpauth link</a></p>
    <label for="code">Authenticator code</label>
    <input id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}">
  </section>
  <button type="submit">Create account</button>
</form>
</main>
<script src="/web/invite.js"></script>
</body>
</html>
`;

const SCRIPT = `'use strict';
(async function () {
  const token = location.pathname.split('/').pop();
  const status = document.getElementById('status');
  const form = document.getElementById('form');
  const show = (msg) => { status.textContent = msg; };
  const res = await fetch('/v1/webapi/users/password/token/' + encodeURIComponent(token));
  const info = await res.json();
  if (!res.ok) { show(info.error ? info.error.message : 'This invitation is not valid.'); return; }
  document.getElementById('user').textContent = info.user;
  if (info.otp_secret) {
    document.getElementById('otp').hidden = false;
    document.getElementById('secret').textContent = info.otp_secret;
    document.getElementById('uri').href = info.otp_uri;
    document.getElementById('code').required = true;
  }
  show('');
  form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const password = document.getElementById('password').value;
    if (password !== document.getElementById('confirm').value) { show('The passwords do not match.'); return; }
    const bytes = new TextEncoder().encode(password);
    const body = { token, password: btoa(String.fromCharCode(...bytes)), second_factor_token: document.getElementById('code').value };
    const r = await fetch('/v1/webapi/users/password/token', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const out = await r.json();
    if (!r.ok) { show(out.error ? out.error.message : 'Could not set the password.'); return; }
    form.hidden = true;
    show('Account ready for ' + out.user + '. Log in with: tsh login --proxy=' + location.host + ' --user=' + out.user);
  });
})();
`;

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}code{word-break:break-all}`;

/** The HTML page. */
export const invitePageHandler: Handler = async (_req, res) => sendPage(res, 200, 'text/html', PAGE);
/** Its script. */
export const inviteScriptHandler: Handler = async (_req, res) => sendPage(res, 200, 'text/javascript', SCRIPT);
/** Its stylesheet. */
export const inviteStyleHandler: Handler = async (_req, res) => sendPage(res, 200, 'text/css', STYLE);
