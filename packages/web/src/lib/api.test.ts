/** @module api.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, errorFromBody, withQuery } from './api.ts';

describe('api client helpers', () => {
  it('reads the server message and the YAML position from error bodies', () => {
    const e = errorFromBody(400, '{"error":{"code":"bad_parameter","message":"bad role","line":7,"field":"spec.allow"}}');
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 400);
    assert.equal(e.message, 'bad role');
    assert.equal(e.code, 'bad_parameter');
    assert.equal(e.line, 7);
    assert.equal(e.field, 'spec.allow');
    assert.equal(errorFromBody(403, '{"message":"upstream style"}').message, 'upstream style');
    assert.match(errorFromBody(502, '<html>bad gateway</html>').message, /answered 502/);
  });
  it('appends only defined query parameters', () => {
    assert.equal(withQuery('/x', { a: 'b c', n: 5, skip: undefined, empty: '' }), '/x?a=b+c&n=5');
    assert.equal(withQuery('/x?y=1', { z: '2' }), '/x?y=1&z=2');
    assert.equal(withQuery('/x'), '/x');
  });
});
