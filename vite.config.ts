import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a static page loaded from disk (file://) by the Electron window and by the UI
// suite's Chromium, so assets are referenced relatively.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome130',
    sourcemap: true,
  },
});
