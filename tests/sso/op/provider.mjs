// A real OpenID Provider (node-oidc-provider, OpenID Certified) for the single sign-on tests.
//
//   node provider.mjs            listens on 127.0.0.1 on a free port and prints one JSON line
//                                {"issuer": "http://127.0.0.1:PORT"} when it is ready.
//
// Clients (all "native" so that a loopback redirect URI matches on any port, RFC 8252 §7.3):
//   lms            the site, authorization code + PKCE, client_secret_basic
//   lms-wrong-aud, lms-expired, lms-bad-sig
//                  the same client, but the ID token the token endpoint returns is altered after the
//                  provider made it (re-signed with the provider's key: audience "another-app"; issued
//                  and expired an hour ago, as from a provider whose clock is late; or signed with a
//                  foreign key under the provider's key id). A conforming provider never sends such
//                  tokens, so the faults are injected here, in the provider, not in the site.
// Accounts: any login name the tests type on the provider's (development) login page; the claims
// of the known ones are in ACCOUNTS, unknown ones get e-mail <login>@tinh.example.vn, unverified.
import { webcrypto } from 'node:crypto';

// Debian 12's packaged Node.js is 18, where WebCrypto is not yet a global (jose needs it).
globalThis.crypto ??= webcrypto;
const { generateKeyPair, exportJWK, SignJWT, decodeJwt } = await import('jose');
const { default: Provider } = await import('oidc-provider');

const SECRET = 'lms-test-secret-0123456789abcdef';
const ACCOUNTS = {
  'nguyen.van.an': {
    email: 'an.nv@tinh.example.vn', email_verified: true, preferred_username: 'nguyen.van.an',
    name: 'Nguyễn Văn An', given_name: 'An', family_name: 'Nguyễn',
  },
  'tran.thi.binh': {
    email: 'binh.tt@tinh.example.vn', email_verified: false, preferred_username: 'tran.thi.binh',
    name: 'Trần Thị Bình',
  },
};

async function main() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'op-key-1', alg: 'RS256', use: 'sig' };
  const foreign = (await generateKeyPair('RS256', { extractable: true })).privateKey;

  const client = (clientId) => ({
    client_id: clientId,
    client_secret: SECRET,
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/sso/callback', 'http://localhost/sso/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/login', 'http://localhost/login'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const faults = {
    'lms-wrong-aud': async (claims) => sign({ ...claims, aud: 'another-app' }, privateKey),
    'lms-expired': async (claims) => sign({ ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 }, privateKey),
    'lms-bad-sig': async (claims) => sign(claims, foreign),
  };

  // Listen first: the issuer carries the port.
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: ['lms', ...Object.keys(faults)].map(client),
    jwks: { keys: [jwk] },
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
    async findAccount(ctx, sub) {
      const known = ACCOUNTS[sub] ?? { email: `${sub}@tinh.example.vn`, email_verified: false, name: sub };
      return { accountId: sub, async claims() { return { sub, ...known }; } };
    },
    // First-party client: no consent screen (the province's portal does the same for its own sites).
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client.clientId;
      const { accountId } = ctx.oidc.session;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>OP error</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`;
    },
  });

  async function sign(claims, key) {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }).sign(key);
  }

  provider.use(async (ctx, next) => {
    await next();
    const fault = ctx.path === '/token' && ctx.oidc?.client && faults[ctx.oidc.client.clientId];
    if (fault && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await fault(decodeJwt(ctx.body.id_token)) };
    }
  });

  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => { console.error(err); process.exit(1); });
