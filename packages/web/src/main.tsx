/**
 * @module main
 * Entry point: mounts the app. Styles are imported here, statically, so the build emits them as
 * files (the CSP allows no inline styles).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xterm/xterm/css/xterm.css';
import 'virtual:xterm-theme.css';
import './styles/app.css';
import { App } from './App.tsx';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(<StrictMode><App /></StrictMode>);
}
