/** @module xtermTheme.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ansi256Palette, TERMINAL_THEME, xtermThemeCss } from './xtermTheme.ts';

describe('xterm theme stylesheet', () => {
  it('builds the 256-colour palette as xterm does', () => {
    const p = ansi256Palette(TERMINAL_THEME.ansi);
    assert.equal(p.length, 256);
    assert.equal(p[16], '#000000');
    assert.equal(p[21], '#0000ff');
    assert.equal(p[231], '#ffffff');
    assert.equal(p[232], '#080808');
    assert.equal(p[255], '#eeeeee');
  });
  it('covers every palette class, the inverted default colour and the row font', () => {
    const css = xtermThemeCss();
    assert.match(css, /\.xterm \.xterm-fg-255 \{ color: #eeeeee; \}/);
    assert.match(css, /\.xterm \.xterm-bg-257 \{/);
    assert.match(css, /\.xterm \.xterm-rows \{[^}]*font-size: 14px/);
    assert.doesNotMatch(css, /undefined/);
  });
});
