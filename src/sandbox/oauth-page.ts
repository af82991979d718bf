// The simulator's stand-in for Instagram's consent window. Plain HTML, no inline script or
// style (Qanat's CSP applies when the simulator is mounted inside it).
import type { SimAccount } from './state.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SCOPE_TEXT: Record<string, string> = {
  instagram_business_basic: 'Access profile and media',
  instagram_business_content_publish: 'Publish content',
  instagram_business_manage_comments: 'Manage comments',
  instagram_business_manage_messages: 'Manage messages',
  instagram_business_manage_insights: 'Access insights',
};

export function consentPage(input: { accounts: SimAccount[]; clientId: string; redirectUri: string; state: string; scopes: string[]; stylesheet: string }): string {
  const account = input.accounts[0] as SimAccount;
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escape(value)}">`;
  const scopes = input.scopes
    .map(
      (scope, i) =>
        `<li><label><input type="checkbox" name="scope" value="${escape(scope)}" checked id="scope-${i}"> ${escape(SCOPE_TEXT[scope] ?? scope)} <code>${escape(scope)}</code></label></li>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox Instagram · Allow access</title><link rel="stylesheet" href="${escape(input.stylesheet)}"></head>
<body><main class="container"><section class="card card--narrow">
<p><span class="badge badge--sandbox">Sandbox Instagram</span></p>
<h1>Allow Qanat to use @${escape(account.username)}?</h1>
<p class="muted">This is Qanat's built-in Instagram simulator. No real Instagram account is involved.</p>
<form method="post" class="form">
${hidden('client_id', input.clientId)}${hidden('redirect_uri', input.redirectUri)}${hidden('state', input.state)}
${
    input.accounts.length > 1
      ? `<fieldset><legend>Account</legend><ul class="plain-list">${input.accounts
          .map((a, i) => `<li><label><input type="radio" name="account" value="${escape(a.igId)}"${i === 0 ? ' checked' : ''}> @${escape(a.username)}</label></li>`)
          .join('')}</ul></fieldset>`
      : ''
  }
<fieldset><legend>Permissions</legend><ul class="plain-list">${scopes}</ul></fieldset>
<div class="form__actions"><button type="submit" name="decision" value="allow" class="button button--primary">Allow</button>
<button type="submit" name="decision" value="deny" class="button">Cancel</button></div>
</form></section></main></body></html>`;
}

export function oauthErrorPage(message: string, stylesheet: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox Instagram · Error</title>
<link rel="stylesheet" href="${escape(stylesheet)}"></head><body><main class="container"><section class="card card--narrow">
<h1>Sorry, this page isn't available</h1><p>${escape(message)}</p></section></main></body></html>`;
}
