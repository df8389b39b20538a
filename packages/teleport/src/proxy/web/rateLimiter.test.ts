/** Token buckets: burst, refill over (fake) time, per-client isolation and the wait hint. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { LimitExceededError } from '@teleport-ts/api/errors';
import { RateLimiter } from './rateLimiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then one request per refill interval, per client', () => {
    const clock = new FakeClock();
    const rl = new RateLimiter({ burst: 3, perSecond: 0.5 }, clock);
    for (let i = 0; i < 3; i++) rl.take('10.0.0.1');
    assert.throws(() => rl.take('10.0.0.1'), (e: unknown) => e instanceof LimitExceededError && /wait 2s/.test(e.message));
    rl.take('10.0.0.2'); // another client has its own bucket
    clock.advance(2000);
    rl.take('10.0.0.1');
    assert.throws(() => rl.take('10.0.0.1'), LimitExceededError);
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) rl.take('10.0.0.1'); // refills up to the burst, not beyond
    assert.throws(() => rl.take('10.0.0.1'), LimitExceededError);
  });
});
