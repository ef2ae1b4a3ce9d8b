// The one declaration of every call and event between the Electron main process and the renderer.
//
// Imported by main, by the preload and by the renderer, so it imports nothing from node:*,
// electron or React (the renderer's tsconfig has no Node types and would refuse). Channel names
// are derived from the keys below by ipc-helpers.ts (`<group>.<name>`) and written nowhere else.
//
//   invoke<Args, Result>()    renderer → main call; main answers with an IpcResult<Result>
//   notifyRenderer<T>()       main → renderer event carrying a T

import type {
  LogComponent,
  LogEntry as HelperLogEntry,
  LogLevel,
  Stats,
  TimelineEntry,
  TimelineKind,
  TunnelState as HelperTunnelState,
} from '../../native-helper/ipc/protocol.js';
import type { IpcRendererApi } from './ipc-helpers.js';
import { invoke, noArgs, notifyRenderer } from './ipc-helpers.js';
import { isSettingsPatch } from './settings-schema.js';

/**
 * The tunnel as the helper reports it: the helper protocol (native-helper/ipc/protocol.ts) is the
 * one source of truth, so these are its types, imported as types only (nothing of Node reaches
 * the renderer). Tags are lowercase kebab strings; every `switch` over `state` is exhaustive.
 */
export type TunnelState = HelperTunnelState;
export type TunnelStateName = TunnelState['state'];
export type { LogComponent, LogLevel, Stats, TimelineEntry, TimelineKind };

/** What went wrong and what to do, for a log line that reports a failure main understands. */
export interface LogDiagnosis {
  /** The helper's error code when the line reports a failed connection ("auth-failed"). */
  readonly code?: string;
  /** What to do, in words; may end in a command ("…: sudo systemctl …"). */
  readonly fix: string;
}

/**
 * One log line: the helper's (native-helper/ipc/protocol.ts LogEntry) or main's own; main adds
 * the diagnosis to the failures it can explain (a refused connect, a failed tunnel, the service
 * out of reach).
 */
export type LogEntry = HelperLogEntry & { readonly diagnosis?: LogDiagnosis };

/** Whether the app can talk to the privileged helper (the Tsunagi service). */
export type HelperLink =
  | { readonly status: 'connecting' }
  | { readonly status: 'ready'; readonly helperVersion: string }
  | {
      readonly status: 'unavailable';
      /** Plain words: "The Tsunagi service is not running." */
      readonly reason: string;
      /** What to do: "Start it: sudo systemctl enable --now tsunagi-helper". */
      readonly fix: string;
    };

/**
 * Everything the connection view shows. Main owns it: it merges the helper's state with which
 * of the user's profiles it belongs to (the helper knows profile names, not the app's ids).
 */
export interface ConnectionSnapshot {
  readonly helper: HelperLink;
  readonly tunnel: TunnelState;
  /** The app profile the tunnel belongs to; null when idle or started elsewhere (CLI). */
  readonly profileId: string | null;
  readonly stats: Stats;
  /** The current (or last) connection's milestones, oldest first. */
  readonly timeline: readonly TimelineEntry[];
}

/** Why a connect or disconnect request was refused before it reached the tunnel. */
export type ConnectResult =
  | { readonly accepted: true }
  | {
      readonly accepted: false;
      /** e.g. "The PSK for "Office" is not in the keychain." */
      readonly message: string;
      readonly fix: string;
    };

export type LogExportResult =
  { readonly exported: true; readonly path: string } | { readonly exported: false };

/**
 * How a profile authenticates the user to the gateway: the `auth.method` of the profile format
 * (native-helper/profile/profile.ts; profile-store.ts checks the two agree at compile time).
 */
export type ProfileAuthMethod = 'psk' | 'cert' | 'eap-mschapv2';

/** What the profile list needs to show; the full profile stays in main. */
export interface ProfileSummary {
  readonly id: string;
  readonly name: string;
  /** Gateway host name or address. */
  readonly server: string;
  readonly authMethod: ProfileAuthMethod;
}

export type ThemePreference = 'system' | 'light' | 'dark';

/** A Wi-Fi network the user trusts; with BSSIDs, only those access points count. */
export interface TrustedWifi {
  readonly ssid: string;
  readonly bssids?: readonly string[];
}

/** A wired network the user trusts, recognised by gateway MAC and/or DNS suffix (all given). */
export interface TrustedWired {
  readonly gatewayMac?: string;
  readonly dnsSuffix?: string;
}

export interface TrustedNetworkSettings {
  readonly enabled: boolean;
  readonly wifi: readonly TrustedWifi[];
  readonly wired: readonly TrustedWired[];
  readonly onTrusted: 'disconnect' | 'nothing';
  readonly onUntrusted: 'connect' | 'nothing';
  readonly alwaysConnectOnOpenWifi: boolean;
  /**
   * On a network that is not trusted (and on open Wi-Fi) the helper's kill switch is kept on,
   * even when `killSwitch` is off; a trusted network gives the user's own setting back. Absent in
   * settings files from before it existed: off.
   */
  readonly killSwitchOnUntrusted?: boolean;
}

export interface AppSettings {
  /** `system` follows prefers-color-scheme. */
  readonly theme: ThemePreference;
  /** Block traffic outside the tunnel while it is connecting, reconnecting or failed. */
  readonly killSwitch: boolean;
  /** Block traffic outside the tunnel even when disconnected (until the user turns it off). */
  readonly lockdown: boolean;
  /** Let the local network through the kill switch (printers, NAS). */
  readonly allowLan: boolean;
  /** Connect `autoConnectProfileId` when the app starts and on untrusted networks. */
  readonly autoConnect: boolean;
  readonly autoConnectProfileId: string | null;
  readonly notifications: boolean;
  readonly launchAtLogin: boolean;
  readonly trustedNetworks: TrustedNetworkSettings;
}

/** A change to some settings; main validates it, merges it, saves and answers the result. */
export type SettingsPatch = {
  readonly [K in keyof AppSettings]?: AppSettings[K];
};

/** A secret in the profile file: a reference to a keychain entry, never the secret itself. */
export interface KeychainRef {
  readonly keychain: string;
}

/**
 * A profile as the editor edits it: the profile format of native-helper/profile/profile.ts
 * (profile-editor.ts checks the two agree at compile time), secrets as keychain references.
 */
export interface ProfileDocument {
  readonly version: 1;
  readonly name: string;
  readonly server: string;
  readonly port?: number;
  readonly remoteId?: string;
  /** Whether IKE_AUTH asks the gateway for `remoteId` (IDr); true by default. */
  readonly sendRemoteId?: boolean;
  readonly localId?: string;
  readonly auth:
    | { readonly method: 'psk'; readonly secret?: KeychainRef }
    | {
        readonly method: 'cert';
        readonly certificate: string;
        readonly privateKey: string;
        readonly passphrase?: KeychainRef;
      }
    | {
        readonly method: 'eap-mschapv2';
        readonly username: string;
        readonly password?: KeychainRef;
      };
  readonly ca?: readonly string[];
  readonly ike?: string;
  readonly esp?: string;
  readonly routes?: 'all' | readonly string[];
  readonly dns?: boolean;
  readonly mobike?: boolean;
  readonly dpdDelay?: number;
  readonly fragmentation?: boolean;
  readonly retransmit?: { readonly timeout: number; readonly base: number; readonly tries: number };
  readonly keyingTries?: number;
  readonly ikeLifetime?: number;
  readonly childLifetime?: number;
  /** Seconds (≥ 10, below the lifetime) after which the SA is rekeyed; 90 % of it by default. */
  readonly ikeRekeyTime?: number;
  readonly childRekeyTime?: number;
  /** Seconds (≥ 0, below each rekey time) a rekey may start early; 10 % of it by default. */
  readonly rekeyJitter?: number;
  /** TUN MTU in bytes (576..9000) instead of the one computed from the path. */
  readonly mtu?: number;
  /** Inbound ESP anti-replay window in packets (32..4096; 128 by default). */
  readonly replayWindow?: number;
}

export interface ProfileDetails {
  readonly id: string;
  readonly profile: ProfileDocument;
}

/** What the editor sends: the profile, and the secret if the user typed a new one. */
export interface ProfileDraft {
  /** Absent for a new profile. */
  readonly id?: string;
  readonly profile: ProfileDocument;
  /** A newly typed secret for the method's secret field; main moves it into the keychain. */
  readonly secret?: string;
}

export interface ProfileFieldIssue {
  /** Dotted path of the field, e.g. "server", "auth.secret", "routes[1]"; "" for the profile. */
  readonly field: string;
  readonly message: string;
}

export type ProfileSaveResult =
  | { readonly saved: true; readonly profile: ProfileSummary }
  | { readonly saved: false; readonly issues: readonly ProfileFieldIssue[] };

export type ProfileImportResult =
  { readonly imported: true; readonly profile: ProfileSummary } | { readonly imported: false };

/** Which file of a certificate profile a "Choose…" button picks. */
export type ProfileFileKind = 'certificate' | 'private-key' | 'ca';
export const PROFILE_FILE_KINDS: readonly ProfileFileKind[] = ['certificate', 'private-key', 'ca'];

/** The file the user picked in main's open dialog (an absolute path), or nothing (cancelled). */
export type FileChoice =
  { readonly chosen: true; readonly path: string } | { readonly chosen: false };

export type ProfileExportResult =
  { readonly exported: true; readonly path: string } | { readonly exported: false };

/** The network the machine is on, as far as trusted networks care. */
export type CurrentNetwork =
  | { readonly detected: false; readonly reason: string }
  | {
      readonly detected: true;
      readonly type: 'wifi' | 'ethernet' | 'other' | 'none';
      readonly label: string;
      /** Wi-Fi: the access point (lowercase MAC), so "trust this network" can pin to it. */
      readonly bssid?: string;
      /** The rule "trust this network" would add; absent when it cannot be trusted. */
      readonly trustable?:
        | { readonly kind: 'wifi'; readonly rule: TrustedWifi }
        | { readonly kind: 'wired'; readonly rule: TrustedWired };
      readonly trusted: boolean;
      /** Why this network cannot be trusted (hidden or open Wi-Fi, no gateway MAC or suffix). */
      readonly untrustableReason?: string;
    };

/** Everything the renderer needs at start; deltas follow as events. */
export interface AppSnapshot {
  readonly version: string;
  readonly platform: string;
  readonly connection: ConnectionSnapshot;
  /** The recent log (helper and app), oldest first. */
  readonly logs: readonly LogEntry[];
  readonly profiles: readonly ProfileSummary[];
  readonly settings: AppSettings;
}

export const ipcSchema = {
  app: {
    getSnapshot: invoke<void, AppSnapshot>(noArgs),
  },
  connection: {
    /** Reads the profile's secrets from the keychain and asks the helper to connect. */
    connect: invoke<{ readonly id: string }, ConnectResult>(isIdArgs),
    disconnect: invoke<void, ConnectResult>(noArgs),
    /** The helper link, tunnel state, profile or timeline changed (whole snapshot). */
    changed: notifyRenderer<ConnectionSnapshot>(),
    /** About once a second while connected. */
    stats: notifyRenderer<Stats>(),
  },
  logs: {
    /** One new line (helper or app). */
    entry: notifyRenderer<LogEntry>(),
    /** Opens a save dialog in main and writes the given lines as text. */
    export: invoke<{ readonly text: string }, LogExportResult>(isExportArgs),
  },
  profiles: {
    list: invoke<void, readonly ProfileSummary[]>(noArgs),
    get: invoke<{ readonly id: string }, ProfileDetails>(isIdArgs),
    /** Checks a draft against the profile format and the proposal syntax; [] when valid. */
    validate: invoke<ProfileDraft, readonly ProfileFieldIssue[]>(isProfileDraft),
    save: invoke<ProfileDraft, ProfileSaveResult>(isProfileDraft),
    delete: invoke<{ readonly id: string }, void>(isIdArgs),
    duplicate: invoke<{ readonly id: string }, ProfileSummary>(isIdArgs),
    /** Opens a file dialog in main, reads and validates the profile, moves its secrets to the keychain. */
    import: invoke<void, ProfileImportResult>(noArgs),
    /** Opens a save dialog in main and writes the profile with keychain references only. */
    export: invoke<{ readonly id: string }, ProfileExportResult>(isIdArgs),
    /** Opens an open-file dialog in main for a certificate, private key or CA file. */
    chooseFile: invoke<{ readonly kind: ProfileFileKind }, FileChoice>(isChooseFileArgs),
    changed: notifyRenderer<readonly ProfileSummary[]>(),
  },
  settings: {
    /** Validates, merges, saves; answers the whole new settings (and notifies `changed`). */
    update: invoke<SettingsPatch, AppSettings>(isSettingsPatch),
    changed: notifyRenderer<AppSettings>(),
  },
  network: {
    current: invoke<void, CurrentNetwork>(noArgs),
    /**
     * Adds the current network to the trusted list (answers the new settings); `pinBssid`: a
     * Wi-Fi network is trusted only through the access point it is on now.
     */
    trustCurrent: invoke<{ readonly pinBssid: boolean }, AppSettings>(isTrustCurrentArgs),
  },
} as const;

export type IpcSchema = typeof ipcSchema;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdArgs(value: unknown): value is { readonly id: string } {
  return (
    isRecord(value) &&
    Object.keys(value).length === 1 &&
    typeof value['id'] === 'string' &&
    value['id'].length > 0
  );
}

function isExportArgs(value: unknown): value is { readonly text: string } {
  return (
    isRecord(value) &&
    Object.keys(value).length === 1 &&
    typeof value['text'] === 'string' &&
    value['text'].length <= 4 * 1024 * 1024
  );
}

function isTrustCurrentArgs(value: unknown): value is { readonly pinBssid: boolean } {
  return (
    isRecord(value) && Object.keys(value).length === 1 && typeof value['pinBssid'] === 'boolean'
  );
}

function isChooseFileArgs(value: unknown): value is { readonly kind: ProfileFileKind } {
  return (
    isRecord(value) &&
    Object.keys(value).length === 1 &&
    PROFILE_FILE_KINDS.includes(value['kind'] as ProfileFileKind)
  );
}

/** The shape only: main validates the profile itself and answers field issues. */
function isProfileDraft(value: unknown): value is ProfileDraft {
  if (!isRecord(value)) return false;
  if (Object.keys(value).some((k) => k !== 'id' && k !== 'profile' && k !== 'secret')) return false;
  if (value['id'] !== undefined && (typeof value['id'] !== 'string' || value['id'] === '')) {
    return false;
  }
  if (value['secret'] !== undefined && typeof value['secret'] !== 'string') return false;
  return isRecord(value['profile']);
}

/** What the preload exposes as `window.tsunagi`. */
export type TsunagiApi = IpcRendererApi<IpcSchema>;
