import Provider from 'oidc-provider';
// node provider.mjs PORT REDIRECT_URI...: one redirect address per app the tests serve
const [port, ...redirects] = process.argv.slice(2);
const accounts = {
  board: { email: 'chair@council.example', name: 'Board Chair', roles: ['EHTS.Board'] },
  north: { email: 'north@council.example', name: 'North Coordinator', roles: ['EHTS.Coordinator.North'] },
  analyst: { email: 'analyst@council.example', name: 'Ann Analyst', roles: ['EHTS.Analyst'] },
  admin: { email: 'admin@council.example', name: 'Ada Admin', roles: [] },
  stranger: { email: 'stranger@elsewhere.example', name: 'Stranger', roles: [] },
};
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'ehts', client_secret: 'test-secret', redirect_uris: redirects,
    // Streamlit sends its own redirect URI (/oauth2callback) as the post-logout address
    post_logout_redirect_uris: redirects,
    grant_types: ['authorization_code'], response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'roles'] },
  conformIdTokenClaims: false,
  findAccount: (ctx, id) => accounts[id] && ({ accountId: id, claims: () => ({ sub: id, ...accounts[id] }) }),
  pkce: { required: () => false },
  ttl: { IdToken: Number(process.env.ID_TOKEN_TTL || 3600) },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
