import type { KeyboardEvent } from 'react';
import type { ViewId } from '../store/app-store';

const VIEWS: readonly { id: ViewId; label: string; icon: string }[] = [
  // Icons are simple strokes drawn on a 20×20 grid.
  { id: 'connection', label: 'Connection', icon: 'M10 3v6M5.6 5.6a6 6 0 1 0 8.8 0' },
  { id: 'profiles', label: 'Profiles', icon: 'M4 5h12M4 10h12M4 15h8' },
  { id: 'logs', label: 'Logs', icon: 'M5 3h10v14H5zM8 7h4M8 10h4M8 13h2' },
  { id: 'settings', label: 'Settings', icon: 'M4 6h7M15 6h1M4 14h1M9 14h7M13 4v4M7 12v4' },
];

export function Sidebar({
  view,
  onSelect,
  version,
}: {
  view: ViewId;
  onSelect: (view: ViewId) => void;
  version: string;
}) {
  // Up/Down move between the entries, as in a native sidebar; Tab still works as usual.
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const buttons = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('button')];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    event.preventDefault();
    const next = (index + (event.key === 'ArrowDown' ? 1 : -1) + buttons.length) % buttons.length;
    buttons[next]?.focus();
  };

  return (
    <aside className="sidebar">
      <nav aria-label="Sections" onKeyDown={onKeyDown}>
        <ul className="sidebar__list">
          {VIEWS.map(({ id, label, icon }) => (
            <li key={id}>
              <button
                type="button"
                className="sidebar__item"
                aria-current={view === id ? 'page' : undefined}
                onClick={() => onSelect(id)}
              >
                <svg
                  viewBox="0 0 20 20"
                  width="18"
                  height="18"
                  aria-hidden="true"
                  focusable="false"
                >
                  <path
                    d={icon}
                    fill="none"
                    stroke="currentColor"
                    strokeWidth="1.8"
                    strokeLinecap="round"
                  />
                </svg>
                {label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <p className="sidebar__version">Version {version}</p>
    </aside>
  );
}
