import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { createAppStore } from './store/app-store';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

if (typeof window.tsunagi === 'object') {
  createRoot(root).render(
    <StrictMode>
      <App api={window.tsunagi} store={createAppStore()} />
    </StrictMode>,
  );
} else {
  // Opened outside the app (no preload): say so instead of failing on every call.
  root.textContent = 'This page is part of the Tsunagi app and only works inside it.';
}
