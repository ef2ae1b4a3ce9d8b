// The app's one link to the privileged helper (the Tsunagi service). Plain Node, no `electron`:
// unit tests and the UI-test bridge run this very class against a real HelperServer.
//
//   open the socket (HelperClient) → hello → subscribe (snapshot + history) → events
//        ↑ closed / refused: wait (backoff) and open again; the link says why in plain words
//
// It owns the ConnectionSnapshot main shows in the window and the tray: the helper's tunnel
// state (the truth), which app profile it belongs to (the helper knows names, not ids), the
// counters, the connection's timeline, and the optimistic "expected next state" while a
// connect or disconnect is on its way. It turns a profile id into the helper's `connect`:
// the profile, its keychain secrets and the certificate/key/CA files read with the user's own
// rights. Anything that goes wrong before the helper is a ConnectResult with a fix, never a throw.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HelperClient, HelperError } from '../../../native-helper/ipc/client.js';
import {
  DEFAULT_SOCKET_PATH,
  HISTORY_LIMITS,
  type HelperEvent,
  type LogLevel,
  type Settings as HelperSettings,
  type Stats,
  type TimelineEntry,
  type TunnelState,
} from '../../../native-helper/ipc/protocol.js';
import { profileFileRefs } from '../../../native-helper/profile/profile-files.js';
import type {
  AppSettings,
  ConnectionSnapshot,
  ConnectResult,
  HelperLink,
  LogDiagnosis,
  LogEntry,
  ProfileSummary,
  SettingsPatch,
} from '../../shared/ipc-schema.js';
import { ProfileStoreError, type StoredProfile } from '../profile-store.js';
import { collectProfileSecrets } from '../secrets/resolve-profile-secrets.js';
import { SecretStoreError, type SecretStore } from '../secrets/secret-store.js';

/** The env variable that points the app at another helper socket (tests, development). */
export const HELPER_SOCKET_ENV = 'TSUNAGI_HELPER_SOCKET';

export function helperSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env[HELPER_SOCKET_ENV] || DEFAULT_SOCKET_PATH;
}

/** Largest certificate/key/CA file the helper protocol carries (connect.files values). */
const MAX_FILE_BYTES = 64 * 1024;

export const ZERO_STATS: Stats = {
  at: 0,
  bytesIn: 0,
  bytesOut: 0,
  packetsIn: 0,
  packetsOut: 0,
  drops: 0,
  rateIn: 0,
  rateOut: 0,
  ike: '',
  esp: '',
};

/** What the tunnel is shown as while the app does not know (no helper to ask). */
const UNKNOWN_TUNNEL: TunnelState = { state: 'disconnected', reason: 'no-helper', blocking: false };

export const SERVICE_NOT_RUNNING = {
  reason: 'The Tsunagi service is not running',
  fix: 'Start it: sudo systemctl enable --now tsunagi-helper',
} as const;
export const SERVICE_FORBIDDEN = {
  reason: 'You may not control the Tsunagi service',
  fix: 'Add yourself to the tsunagi group: sudo usermod -aG tsunagi $USER, then log out and in',
} as const;

/** Why the helper's socket could not be used, in plain words with what to do. */
export function describeLinkFailure(error: unknown, socketPath: string): HelperLink {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED')
    return { status: 'unavailable', ...SERVICE_NOT_RUNNING };
  if (code === 'EACCES' || code === 'EPERM' || code === 'forbidden')
    return { status: 'unavailable', ...SERVICE_FORBIDDEN };
  if (code === 'ETIMEDOUT')
    return {
      status: 'unavailable',
      reason: 'The Tsunagi service does not answer',
      fix: 'Restart it: sudo systemctl restart tsunagi-helper',
    };
  if (code === 'unsupported-version')
    return {
      status: 'unavailable',
      reason: `The Tsunagi service is a different version than the app (${(error as Error).message})`,
      fix: 'Update Tsunagi so the app and the service are the same version, then restart the service: sudo systemctl restart tsunagi-helper',
    };
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 'unavailable',
    reason: `Cannot talk to the Tsunagi service at ${socketPath}: ${message}`,
    fix: 'Restart it: sudo systemctl restart tsunagi-helper',
  };
}

/** The parts of the profile store the controller reads. */
export interface ProfileSource {
  read(id: string): Promise<StoredProfile | undefined>;
  list(): Promise<readonly ProfileSummary[]>;
}

export interface SettingsAccess {
  get(): AppSettings;
  update(patch: SettingsPatch): Promise<AppSettings>;
}

export interface TunnelControllerOptions {
  readonly socketPath: string;
  readonly profiles: ProfileSource;
  /** The folder of the profile file: relative certificate/key/CA paths start there. */
  readonly profileDir: string;
  readonly secrets: SecretStore;
  readonly settings: SettingsAccess;
  /** First and longest wait before opening the socket again (ms). */
  readonly retry?: { readonly firstMs: number; readonly maxMs: number };
  /** Reads a file the profile names (the user's own rights); node:fs by default. */
  readonly readFile?: (file: string) => Promise<string>;
  readonly now?: () => number;
  /** The name the helper logs for this client. */
  readonly clientName?: string;
  /** How long opening the socket (hello, status, subscribe) may take (ms); 5 s by default. */
  readonly answerTimeoutMs?: number;
}

export interface TunnelControllerEvents {
  /** The snapshot changed (link, tunnel, profile or timeline). */
  changed(snapshot: ConnectionSnapshot): void;
  stats(stats: Stats): void;
  /** One new log line (helper or app). */
  log(entry: LogEntry): void;
  /** The helper's settings changed the app's (the CLI changed them). */
  settingsChanged(settings: AppSettings): void;
  /** The tunnel's state changed (for notifications): the previous and the new one. */
  tunnel(state: TunnelState, previous: TunnelState, profileId: string | null): void;
}

type Listeners = { [K in keyof TunnelControllerEvents]: Set<TunnelControllerEvents[K]> };

const sameSettings = (a: HelperSettings, b: HelperSettings): boolean =>
  a.killSwitch === b.killSwitch && a.lockdown === b.lockdown && a.allowLan === b.allowLan;

const helperSettingsOf = (s: AppSettings): HelperSettings => ({
  killSwitch: s.killSwitch,
  lockdown: s.lockdown,
  allowLan: s.allowLan,
});

const idle = (s: TunnelState): boolean => s.state === 'disconnected' || s.state === 'error';

type Refused = Extract<ConnectResult, { accepted: false }>;

function refused(message: string, fix: string): Refused {
  return { accepted: false, message, fix };
}

export class TunnelController {
  private client: HelperClient | undefined;
  private link: HelperLink = { status: 'connecting' };
  /** The helper's state as last reported (the truth). */
  private helperTunnel: TunnelState = UNKNOWN_TUNNEL;
  /** What main expects next while a request is on its way (tray and window show this). */
  private expected: TunnelState | undefined;
  private profileId: string | null = null;
  private stats: Stats = ZERO_STATS;
  private timeline: TimelineEntry[] = [];
  private helperLogs: LogEntry[] = [];
  private appLogs: LogEntry[] = [];
  private helperSettings: HelperSettings | undefined;
  /** A settings change the user made while the helper could not be reached. */
  private settingsPending = false;
  /**
   * Why the helper's kill switch is kept on whatever the user's setting (an untrusted network,
   * trust-rules.ts), or undefined: the user's setting applies.
   */
  private killSwitchKept: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private running = false;
  private opening: Promise<void> | undefined;
  /** An open that timed out and has not ended yet (a hung helper). */
  private stalled: Promise<void> | undefined;
  private readonly listeners: Listeners = {
    changed: new Set(),
    stats: new Set(),
    log: new Set(),
    settingsChanged: new Set(),
    tunnel: new Set(),
  };

  constructor(private readonly options: TunnelControllerOptions) {
    this.retryDelay = options.retry?.firstMs ?? 500;
  }

  on<K extends keyof TunnelControllerEvents>(
    event: K,
    listener: TunnelControllerEvents[K],
  ): () => void {
    const set = this.listeners[event] as Set<TunnelControllerEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Opens the helper's socket (and keeps opening it again whenever it closes). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.open();
  }

  /** Closes the socket for good; the tunnel itself stays as the helper has it. */
  dispose(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.client?.close();
    this.client = undefined;
  }

  /** Resolves once the current attempt to open the socket has finished (tests, start-up). */
  async settled(): Promise<void> {
    await this.opening;
  }

  snapshot(): ConnectionSnapshot {
    return {
      helper: this.link,
      tunnel: this.expected ?? this.helperTunnel,
      profileId: this.profileId,
      stats: this.stats,
      timeline: [...this.timeline],
    };
  }

  /** The recent log, helper and app lines merged by time, oldest first. */
  logs(): LogEntry[] {
    const all = [...this.helperLogs, ...this.appLogs].sort((a, b) => a.at - b.at);
    return all.slice(-HISTORY_LIMITS.logs);
  }

  /**
   * A line of the app's own (auto-connect decisions, keychain trouble): component `app`; a
   * failure the app can explain carries its diagnosis (the logs view shows the fix under it).
   */
  appLog(level: LogLevel, text: string, diagnosis?: LogDiagnosis): void {
    const entry: LogEntry = {
      at: this.now(),
      level,
      component: 'app',
      text,
      ...(diagnosis ? { diagnosis } : {}),
    };
    this.appLogs.push(entry);
    if (this.appLogs.length > HISTORY_LIMITS.logs) this.appLogs.shift();
    this.emit('log', entry);
  }

  /** Connects the app profile `profileId`: secrets from the keychain, files read as the user. */
  async connect(profileId: string): Promise<ConnectResult> {
    // asked while the socket is being opened (app start, an auto-connect): wait for it
    if (this.link.status === 'connecting') await this.settled();
    const client = this.client;
    if (!client || this.link.status !== 'ready') {
      const link = this.link;
      return link.status === 'unavailable'
        ? refused(link.reason, link.fix)
        : refused(
            'Still reaching the Tsunagi service',
            'Wait a moment and try again; if it lasts, restart the service: sudo systemctl restart tsunagi-helper',
          );
    }
    const current = this.snapshot().tunnel;
    if (!idle(current))
      return refused(
        `The VPN is ${current.state}${'profile' in current ? ` (${current.profile})` : ''}`,
        'Disconnect first, then connect again.',
      );

    const prepared = await this.prepare(profileId);
    if (!prepared.ok) {
      this.appLog('error', `cannot connect ${profileId}: ${prepared.result.message}`, {
        fix: prepared.result.fix,
      });
      return prepared.result;
    }
    const { stored, secrets, files } = prepared;
    this.appLog('info', `connect ${stored.profile.name} (${profileId})`);
    this.setExpected({
      state: 'connecting',
      profile: stored.profile.name,
      server: stored.profile.server,
      gateway: '',
      blocking: this.options.settings.get().killSwitch || this.options.settings.get().lockdown,
      since: this.now(),
    });
    const previousId = this.profileId;
    this.profileId = profileId;
    try {
      const r = await client.request({
        method: 'connect',
        profile: stored.profile as unknown as Record<string, unknown>,
        secrets,
        baseDir: this.options.profileDir,
        files,
      });
      // the helper announced the new state before it answered: the events are the truth
      if (r.kind !== 'accepted') throw new Error(`unexpected answer ${r.kind}`);
      this.setExpected(undefined);
      return { accepted: true };
    } catch (error) {
      this.profileId = idle(this.helperTunnel) ? previousId : this.profileId;
      this.setExpected(undefined);
      const result = this.describeRefusal(error, stored.profile.name);
      this.appLog(
        'error',
        `the service refused to connect ${stored.profile.name}: ${result.message}`,
        { fix: result.fix },
      );
      return result;
    }
  }

  async disconnect(): Promise<ConnectResult> {
    if (this.link.status === 'connecting') await this.settled();
    const client = this.client;
    if (!client || this.link.status !== 'ready') {
      const link = this.link;
      return link.status === 'unavailable'
        ? refused(link.reason, link.fix)
        : refused('Still reaching the Tsunagi service', 'Wait a moment and try again.');
    }
    const current = this.helperTunnel;
    if (current.state === 'disconnected')
      return refused('There is no VPN connection to end', 'Nothing to do.');
    this.appLog('info', 'disconnect');
    if (current.state !== 'error')
      this.setExpected({
        state: 'disconnecting',
        profile: 'profile' in current ? current.profile : '',
        blocking: current.blocking,
      });
    try {
      const r = await client.request({ method: 'disconnect' });
      // the helper announced the new state before it answered: the events are the truth
      if (r.kind !== 'accepted') throw new Error(`unexpected answer ${r.kind}`);
      this.setExpected(undefined);
      return { accepted: true };
    } catch (error) {
      this.setExpected(undefined);
      if (error instanceof HelperError && error.code === 'not-connected')
        return refused('There is no VPN connection to end', 'Nothing to do.');
      const result = this.describeRefusal(error, '');
      this.appLog('error', `the service refused to disconnect: ${result.message}`, {
        fix: result.fix,
      });
      return result;
    }
  }

  /**
   * Keeps the helper's kill switch on (a reason) even while the user's setting is off, or gives
   * the user's setting back (undefined). The trusted-network rules call it: on a network that is
   * not trusted, traffic outside the tunnel is blocked whenever the tunnel is not up.
   */
  async keepKillSwitch(reason: string | undefined): Promise<void> {
    if ((reason === undefined) === (this.killSwitchKept === undefined)) {
      this.killSwitchKept = reason;
      return;
    }
    this.killSwitchKept = reason;
    const own = this.options.settings.get().killSwitch;
    if (reason !== undefined)
      this.appLog(
        'info',
        own
          ? `kill switch stays on: ${reason}`
          : `kill switch on although it is off in the settings: ${reason}`,
      );
    else if (!own) this.appLog('info', 'kill switch back to your setting (off): trusted network');
    await this.pushSettings();
  }

  /** Whether the kill switch is kept on by the trusted-network rules, and why. */
  killSwitchKeptBy(): string | undefined {
    return this.killSwitchKept;
  }

  /** What the helper should enforce: the user's settings, with the kept kill switch. */
  private wantedSettings(settings: AppSettings = this.options.settings.get()): HelperSettings {
    const own = helperSettingsOf(settings);
    return this.killSwitchKept !== undefined ? { ...own, killSwitch: true } : own;
  }

  /**
   * The user changed the kill switch, lockdown or LAN setting in the app: it goes to the helper,
   * which enforces (and keeps) it. Without a link the change is remembered and sent when the
   * helper is back; otherwise the helper's own settings win at every (re)connect, so a lockdown
   * turned on with the CLI while the app was closed is never undone by the app starting.
   */
  async pushSettings(settings: AppSettings = this.options.settings.get()): Promise<void> {
    const client = this.client;
    const wanted = this.wantedSettings(settings);
    if (!client || this.link.status !== 'ready') {
      this.settingsPending = true;
      return;
    }
    if (this.helperSettings && sameSettings(this.helperSettings, wanted)) {
      this.settingsPending = false;
      return;
    }
    try {
      const r = await client.request({ method: 'set-settings', settings: wanted });
      if (r.kind === 'settings') this.helperSettings = r.settings;
      this.settingsPending = false;
    } catch (error) {
      this.settingsPending = true;
      this.appLog(
        'error',
        `cannot give the kill switch settings to the service: ${(error as Error).message}`,
      );
    }
  }

  // ------------------------------------------------------------------ the socket

  private open(): Promise<void> {
    const attempt = this.openOnce().finally(() => {
      if (this.opening === attempt) this.opening = undefined;
    });
    this.opening = attempt;
    return attempt;
  }

  private async openOnce(): Promise<void> {
    const socketPath = this.options.socketPath;
    const limit = this.options.answerTimeoutMs ?? 5_000;
    if (this.stalled) {
      // the last attempt still waits for a hung helper: no second socket until it gives up
      this.linkLost(
        describeLinkFailure(Object.assign(new Error(''), { code: 'ETIMEDOUT' }), socketPath),
      );
      return;
    }
    let client: HelperClient;
    const opening = HelperClient.open(socketPath, this.options.clientName ?? 'tsunagi-app');
    try {
      client = await withTimeout(opening, limit);
    } catch (error) {
      // a helper that answers after we gave up: close what it opened
      if ((error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
        const stalled: Promise<void> = opening.then(
          (late) => late.close(),
          () => undefined,
        );
        this.stalled = stalled;
        void stalled.finally(() => {
          if (this.stalled === stalled) this.stalled = undefined;
        });
      }
      this.linkLost(describeLinkFailure(error, socketPath));
      return;
    }
    if (!this.running) {
      client.close();
      return;
    }
    const events: HelperEvent[] = [];
    let subscribed = false;
    client.onEvent((e) => (subscribed ? this.onEvent(e) : events.push(e)));
    client.onClose((e) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.helperSettings = undefined;
      this.linkLost(
        e instanceof HelperError && e.code !== 'connection-closed'
          ? describeLinkFailure(e, socketPath)
          : {
              status: 'unavailable',
              reason: 'The Tsunagi service stopped',
              fix: 'It is restarted automatically; if not: sudo systemctl restart tsunagi-helper',
            },
      );
    });
    let helperVersion: string;
    try {
      const s = await withTimeout(client.request({ method: 'status' }), limit);
      helperVersion = s.kind === 'status' ? s.status.helper : 'unknown';
      const r = await withTimeout(client.request({ method: 'subscribe' }), limit);
      if (r.kind !== 'subscribed') throw new Error(`unexpected answer ${r.kind}`);
      // A change the user made while the helper was away is in force before anything can be
      // connected; otherwise the helper's settings (kept across reboots) are the truth.
      const wanted = this.wantedSettings();
      let helperSettings = r.status.settings;
      if (this.settingsPending && !sameSettings(helperSettings, wanted)) {
        const set = await client.request({ method: 'set-settings', settings: wanted });
        if (set.kind === 'settings') helperSettings = set.settings;
      }
      this.settingsPending = false;
      this.client = client;
      this.retryDelay = this.options.retry?.firstMs ?? 500;
      this.helperSettings = helperSettings;
      this.stats = r.status.stats;
      this.timeline = r.history.timeline.slice(-HISTORY_LIMITS.timeline);
      const lastSeen = this.helperLogs.at(-1)?.at ?? -Infinity;
      this.helperLogs = r.history.logs.slice(-HISTORY_LIMITS.logs);
      for (const entry of this.helperLogs) if (entry.at > lastSeen) this.emit('log', entry);
      this.link = { status: 'ready', helperVersion };
      this.adoptTunnel(r.status.state, false);
      this.emitChanged();
    } catch (error) {
      client.close();
      this.linkLost(describeLinkFailure(error, socketPath));
      return;
    }
    subscribed = true;
    for (const e of events) this.onEvent(e);
    this.appLog('info', `connected to the Tsunagi service ${helperVersion}`);
    // settings changed while the link was being set up, or the app follows the helper's
    if (this.settingsPending) await this.pushSettings();
    else if (this.helperSettings) await this.adoptSettings(this.helperSettings);
  }

  private linkLost(link: HelperLink): void {
    const changed =
      this.link.status !== link.status ||
      (link.status === 'unavailable' &&
        this.link.status === 'unavailable' &&
        this.link.reason !== link.reason);
    if (changed && link.status === 'unavailable')
      this.appLog('warn', `${link.reason}. ${link.fix}`, { fix: link.fix });
    this.link = link;
    this.expected = undefined;
    const previous = this.helperTunnel;
    this.helperTunnel = { ...UNKNOWN_TUNNEL, blocking: previous.blocking };
    this.stats = ZERO_STATS;
    if (changed || previous.state !== 'disconnected') this.emitChanged();
    if (!this.running) return;
    clearTimeout(this.retryTimer);
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.retry?.maxMs ?? 10_000);
    this.retryTimer = setTimeout(() => void this.open(), delay);
    this.retryTimer.unref?.();
  }

  private onEvent(e: HelperEvent): void {
    switch (e.event) {
      case 'state':
        this.adoptTunnel(e.state, true);
        this.emitChanged();
        return;
      case 'stats':
        this.stats = e.stats;
        this.emit('stats', e.stats);
        return;
      case 'timeline':
        this.timeline.push(e.entry);
        if (this.timeline.length > HISTORY_LIMITS.timeline) this.timeline.shift();
        this.emitChanged();
        return;
      case 'log':
        this.helperLogs.push(e.entry);
        if (this.helperLogs.length > HISTORY_LIMITS.logs) this.helperLogs.shift();
        this.emit('log', e.entry);
        return;
      case 'settings':
        void this.adoptSettings(e.settings);
        return;
    }
  }

  /**
   * A state from the helper: a fresh timeline for a new connection, which app profile it
   * belongs to. `announce` is false for the snapshot after (re)subscribing: a tunnel that was
   * already up is not news.
   */
  private adoptTunnel(state: TunnelState, announce: boolean): void {
    const previous = this.helperTunnel;
    // a connection that starts from idle is a new one (a retry while reconnecting is not)
    if (announce && state.state === 'connecting' && idle(previous)) this.timeline = [];
    if (state.state === 'disconnected') this.profileId = null;
    this.helperTunnel = state;
    if (state.state !== 'connected') this.stats = { ...ZERO_STATS, at: this.now() };
    if (this.profileId === null && 'profile' in state) void this.matchProfile(state.profile);
    // a failed connection in the log as the window shows it: the diagnosis and the fix
    if (announce && state.state === 'error' && !sameError(previous, state))
      this.appLog('error', `connection failed: ${state.message}`, {
        code: state.code,
        fix: state.fix,
      });
    if (announce && (previous.state !== state.state || state.state === 'error'))
      this.emit('tunnel', state, previous, this.profileId);
  }

  /** Started before the app (or by the CLI): the app profile of that name, if exactly one. */
  private async matchProfile(name: string): Promise<void> {
    const named = (await this.options.profiles.list().catch(() => [])).filter(
      (p) => p.name === name,
    );
    const current = this.helperTunnel;
    if (named.length !== 1 || this.profileId !== null) return;
    if (!('profile' in current) || current.profile !== name) return;
    this.profileId = named[0]!.id;
    this.emitChanged();
  }

  /** The helper's settings (at link-up, or the CLI changed them): the app follows when they differ. */
  private async adoptSettings(settings: HelperSettings): Promise<void> {
    this.helperSettings = settings;
    const app = this.options.settings.get();
    if (sameSettings(this.wantedSettings(app), settings)) return;
    // the kill switch the rules keep on is not the user's choice: the app keeps its own
    const adopted =
      this.killSwitchKept !== undefined ? { ...settings, killSwitch: app.killSwitch } : settings;
    if (sameSettings(helperSettingsOf(app), adopted)) return;
    this.appLog(
      'info',
      `the service's settings (kill switch ${settings.killSwitch ? 'on' : 'off'}, lockdown ${settings.lockdown ? 'on' : 'off'}, LAN ${settings.allowLan ? 'allowed' : 'blocked'}) differ from the app's: the app follows the service`,
    );
    try {
      const next = await this.options.settings.update(adopted);
      this.emit('settingsChanged', next);
    } catch (error) {
      this.appLog('error', `cannot save the settings: ${(error as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ connect's preparation

  private async prepare(profileId: string): Promise<
    | {
        ok: true;
        stored: StoredProfile;
        secrets: Record<string, string>;
        files: Record<string, string>;
      }
    | { ok: false; result: Refused }
  > {
    let stored: StoredProfile | undefined;
    try {
      stored = await this.options.profiles.read(profileId);
    } catch (error) {
      if (error instanceof ProfileStoreError)
        return {
          ok: false,
          result: refused(
            error.message,
            error.code === 'corrupt'
              ? `Repair or remove ${error.filePath}, then import your profiles again.`
              : `Check that you can read ${error.filePath}.`,
          ),
        };
      throw error;
    }
    if (!stored)
      return {
        ok: false,
        result: refused(
          `There is no profile "${profileId}"`,
          'Choose another profile, or import this one again.',
        ),
      };
    const name = stored.profile.name;

    let secrets: Record<string, string>;
    try {
      secrets = await collectProfileSecrets(stored.profile, this.options.secrets);
    } catch (error) {
      if (!(error instanceof SecretStoreError)) throw error;
      return { ok: false, result: keychainRefusal(error, name) };
    }

    const files: Record<string, string> = {};
    for (const ref of profileFileRefs(stored.profile)) {
      const file = path.resolve(this.options.profileDir, ref.path);
      let text: string;
      try {
        text = await (this.options.readFile ?? ((f: string) => readFile(f, 'utf8')))(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === 'ENOENT'
            ? 'it does not exist'
            : code === 'EACCES' || code === 'EPERM'
              ? 'you may not read it'
              : (error as Error).message;
        return {
          ok: false,
          result: refused(
            `Cannot read ${describeField(ref.field)} of "${name}" (${file}): ${why}`,
            'Put the file back, or choose another one in the profile editor.',
          ),
        };
      }
      if (Buffer.byteLength(text) > MAX_FILE_BYTES)
        return {
          ok: false,
          result: refused(
            `${describeField(ref.field)} of "${name}" (${file}) is larger than 64 KiB`,
            'Choose the PEM file itself (one certificate or key), not a bundle or an archive.',
          ),
        };
      files[ref.path] = text;
    }
    return { ok: true, stored, secrets, files };
  }

  private describeRefusal(error: unknown, name: string): Refused {
    if (!(error instanceof HelperError)) {
      return refused(
        `The Tsunagi service failed: ${(error as Error).message}`,
        'Try again; the service log has details (journalctl -u tsunagi-helper).',
      );
    }
    switch (error.code) {
      case 'busy':
        return refused(
          `The VPN is busy: ${error.message}`,
          'Disconnect first, then connect again.',
        );
      case 'invalid-profile':
        return refused(
          `The service refused the profile "${name}": ${error.message}`,
          'Open the profile in the editor and correct it.',
        );
      case 'unresolvable-server':
        return refused(
          error.message,
          'Check the server name in the profile and that this machine is online.',
        );
      case 'firewall-failed':
        return refused(error.message, 'Check that nftables is installed and working.');
      case 'forbidden':
        return refused(SERVICE_FORBIDDEN.reason, SERVICE_FORBIDDEN.fix);
      case 'connection-closed':
        return refused(
          'The Tsunagi service went away during the request',
          'Try again once it is back; if it does not come back: sudo systemctl restart tsunagi-helper',
        );
      case 'unsupported-version': {
        const link = describeLinkFailure(error, this.options.socketPath);
        return link.status === 'unavailable'
          ? refused(link.reason, link.fix)
          : refused(error.message, 'Update Tsunagi.');
      }
      case 'not-connected':
        return refused('There is no VPN connection to end', 'Nothing to do.');
      case 'frame-too-large':
      case 'hello-required':
      case 'internal':
      case 'invalid-request':
      case 'malformed-frame':
      case 'protocol':
        return refused(
          `The Tsunagi service refused: ${error.message}`,
          'Try again; the service log has details (journalctl -u tsunagi-helper).',
        );
    }
  }

  // ------------------------------------------------------------------ plumbing

  private setExpected(state: TunnelState | undefined): void {
    this.expected = state;
    this.emitChanged();
  }

  private emitChanged(): void {
    this.emit('changed', this.snapshot());
  }

  private emit<K extends keyof TunnelControllerEvents>(
    event: K,
    ...args: Parameters<TunnelControllerEvents[K]>
  ): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (...a: Parameters<TunnelControllerEvents[K]>) => void)(...args);
      } catch (error) {
        console.error(`TunnelController ${event} listener failed:`, error);
      }
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The same failure announced again (the helper repeats its state when settings change). */
function sameError(previous: TunnelState, next: Extract<TunnelState, { state: 'error' }>): boolean {
  return (
    previous.state === 'error' && previous.code === next.code && previous.message === next.message
  );
}

/** Rejects with an ETIMEDOUT error when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function describeField(field: string): string {
  if (field === 'auth.certificate') return 'the certificate';
  if (field === 'auth.privateKey') return 'the private key';
  if (field.startsWith('ca[')) return 'the CA certificate';
  return field;
}

function keychainRefusal(error: SecretStoreError, name: string): Refused {
  switch (error.code) {
    case 'missing-secret':
      return refused(
        `The secret of "${name}" is not in the keychain (${error.message})`,
        'Open the profile in the editor and enter the secret again.',
      );
    case 'no-keychain':
      return refused(
        `No keychain is available to read the secret of "${name}": ${error.message}`,
        'Start a Secret Service keychain (GNOME Keyring or KWallet) in your session, then try again.',
      );
    case 'keychain-locked':
      return refused(
        `The keychain is locked, so the secret of "${name}" cannot be read`,
        'Unlock your keychain when asked, then connect again.',
      );
    case 'keychain-failed':
      return refused(
        `The keychain failed to give the secret of "${name}": ${error.message}`,
        'Try again; if it keeps failing, enter the secret again in the profile editor.',
      );
  }
}
