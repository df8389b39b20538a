/**
 * @module xterm
 * Creates the UI's xterm.js terminals (web terminal and recording player) with the fixed theme
 * whose CSS the build ships statically (see lib/xtermTheme.ts for why), and opens them without
 * tripping the Content-Security-Policy.
 */
import { Terminal, type ITheme } from '@xterm/xterm';
import { TERMINAL_FONT_FAMILY, TERMINAL_FONT_SIZE, TERMINAL_THEME } from './lib/xtermTheme.ts';

const ANSI_NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/** TERMINAL_THEME as xterm's ITheme (the DOM renderer still needs it for contrast and measuring). */
function xtermTheme(): ITheme {
  const t: ITheme = {
    background: TERMINAL_THEME.background,
    foreground: TERMINAL_THEME.foreground,
    cursor: TERMINAL_THEME.cursor,
    cursorAccent: TERMINAL_THEME.cursorAccent,
    selectionBackground: TERMINAL_THEME.selectionBackground,
    selectionInactiveBackground: TERMINAL_THEME.selectionInactiveBackground,
  };
  const named = t as Record<string, string>;
  ANSI_NAMES.forEach((name, i) => {
    named[name] = TERMINAL_THEME.ansi[i] ?? '';
    named[`bright${name[0]?.toUpperCase()}${name.slice(1)}`] = TERMINAL_THEME.ansi[i + 8] ?? '';
  });
  return t;
}

/** Creates an xterm with the UI's theme (its CSS is the static stylesheet from xtermTheme.ts). */
export function createTerminal(readOnly: boolean, size?: { cols: number; rows: number }): Terminal {
  return new Terminal({
    fontFamily: TERMINAL_FONT_FAMILY,
    fontSize: TERMINAL_FONT_SIZE,
    theme: xtermTheme(),
    cursorBlink: !readOnly,
    disableStdin: readOnly,
    scrollback: 5000,
    allowProposedApi: false,
    ...(size ?? {}),
  });
}


/**
 * Opens `term` in `parent`. xterm.js 6 creates three `<style>` elements while opening (theme,
 * cell dimensions, scrollbar) and fills them at runtime; under `style-src 'self'` the browser
 * refuses each one and logs a CSP violation. Their rules already ship in the static stylesheet
 * (lib/xtermTheme.ts), so while xterm opens, `document.createElement('style')` hands out inert
 * `<template>` elements instead: xterm can set their text and remove them, nothing is applied
 * and nothing is reported. All three are created synchronously inside open(), so the override is
 * in place only for that call.
 */
export function openTerminal(term: Terminal, parent: HTMLElement): void {
  const doc = parent.ownerDocument;
  const create = Document.prototype.createElement;
  const inert = function (this: Document, tag: string, options?: ElementCreationOptions): HTMLElement {
    return create.call(this, tag.toLowerCase() === 'style' ? 'template' : tag, options);
  };
  Object.defineProperty(doc, 'createElement', { value: inert, configurable: true, writable: true });
  try {
    term.open(parent);
  } finally {
    // Removing the own property restores Document.prototype.createElement.
    Reflect.deleteProperty(doc, 'createElement');
  }
}
