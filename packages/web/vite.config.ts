/**
 * @module vite.config
 * Builds the web UI into packages/web/dist, served by the proxy under /web/. The strict CSP the
 * proxy sends (script-src 'self'; style-src 'self') rules out inline scripts and styles, so the
 * build emits only external, hashed files, and the terminal's colour theme, which xterm.js would
 * otherwise inject as <style> elements at runtime, is generated here as a static stylesheet
 * (the `virtual:xterm-theme.css` module; see src/lib/xtermTheme.ts).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { xtermThemeCss } from './src/lib/xtermTheme.ts';

const themeModuleId = 'virtual:xterm-theme.css';
const resolvedThemeModuleId = '\0' + themeModuleId;

/** Serves the terminal theme as a CSS module, so Vite bundles it into the hashed stylesheet. */
function xtermThemePlugin(): Plugin {
  return {
    name: 'teleport-xterm-theme',
    resolveId: (id) => (id === themeModuleId ? resolvedThemeModuleId : undefined),
    load: (id) => (id === resolvedThemeModuleId ? xtermThemeCss() : undefined),
  };
}

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/web/',
  plugins: [react(), xtermThemePlugin()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // Everything is bundled: the machines are offline and the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
