/** @module routes.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPath, matchPath, paths, resolveRoute, safeRedirect } from './routes.ts';

describe('routes', () => {
  it('matches patterns and decodes parameters', () => {
    assert.deepEqual(matchPath('/web/terminal/:node', '/web/terminal/db%2D1/'), { node: 'db-1' });
    assert.equal(matchPath('/web/terminal/:node', '/web/terminal'), null);
    assert.equal(matchPath('/web/terminal/:node', '/web/terminal/%E0%A4%A'), null);
  });
  it('resolves the app pages', () => {
    assert.deepEqual(resolveRoute('/web'), { name: 'servers', params: {} });
    assert.deepEqual(resolveRoute('/web/'), { name: 'servers', params: {} });
    assert.deepEqual(resolveRoute('/web/recordings/abc'), { name: 'player', params: { sid: 'abc' } });
    assert.deepEqual(resolveRoute('/web/invite/t0k'), { name: 'invite', params: { token: 't0k' } });
    assert.equal(resolveRoute('/web/nope/x/y'), null);
  });
  it('builds paths with encoded parameters and query', () => {
    assert.equal(buildPath(paths.terminal, { node: 'a b' }, { login: 'root', sid: undefined }),
      '/web/terminal/a%20b?login=root');
  });
  it('only redirects inside the app after login', () => {
    assert.equal(safeRedirect('/web/audit?x=1'), '/web/audit?x=1');
    assert.equal(safeRedirect('https://evil.example/web'), '/web');
    assert.equal(safeRedirect('//evil.example/web/x'), '/web');
    assert.equal(safeRedirect('/web/login'), '/web');
    assert.equal(safeRedirect(null), '/web');
  });
});
