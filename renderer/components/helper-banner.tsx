import type { HelperLink } from '../../electron/shared/ipc-schema';
import { FixBox } from './fix-box';

/** Shown while the app cannot talk to the privileged helper: nothing can connect until it can. */
export function HelperBanner({ helper }: { helper: HelperLink }) {
  if (helper.status === 'ready') return null;
  if (helper.status === 'connecting') {
    return (
      <p className="notice" role="status">
        Reaching the Tsunagi service…
      </p>
    );
  }
  return (
    <div className="banner" data-tone="danger" role="alert" aria-labelledby="helper-banner-title">
      <svg className="banner__icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
        <path d="M10 2.5 18 17H2z" />
        <path d="M10 8v4M10 14.5v.01" />
      </svg>
      <div className="banner__body">
        <p id="helper-banner-title" className="banner__title">
          The Tsunagi service is unavailable
        </p>
        <p className="banner__text">{helper.reason}</p>
        <FixBox fix={helper.fix} />
      </div>
    </div>
  );
}
