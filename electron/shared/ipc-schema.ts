// The one declaration of every call and event between the Electron main process and the renderer.
//
// Imported by main, by the preload and by the renderer, so it imports nothing from node:*,
// electron or React (the renderer's tsconfig has no Node types and would refuse). Channel names
// are derived from the keys below by ipc-helpers.ts (`<group>.<name>`) and written nowhere else.
//
//   invoke<Args, Result>()    renderer → main call; main answers with an IpcResult<Result>
//   notifyRenderer<T>()       main → renderer event carrying a T

import type { IpcRendererApi } from './ipc-helpers.js';
import { invoke, noArgs, notifyRenderer } from './ipc-helpers.js';

/**
 * The tunnel as the window shows it. A local union for now: once the helper protocol exists
 * (native-helper/ipc/), its tunnel state becomes the source of truth and this type is derived
 * from it. Tags are lowercase kebab strings; every `switch` over `state` is exhaustive.
 */
export type TunnelState =
  | { readonly state: 'disconnected' }
  | { readonly state: 'connecting'; readonly profileId: string }
  | {
      readonly state: 'connected';
      readonly profileId: string;
      /** Epoch milliseconds when the tunnel came up. */
      readonly since: number;
    }
  | { readonly state: 'reconnecting'; readonly profileId: string; readonly attempt: number }
  | { readonly state: 'disconnecting'; readonly profileId: string }
  | {
      readonly state: 'error';
      readonly profileId?: string;
      readonly cause: { readonly code: string; readonly message: string };
    };

export type TunnelStateName = TunnelState['state'];

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

export interface AppSettings {
  /** `system` follows prefers-color-scheme. */
  readonly theme: ThemePreference;
}

/** Everything the renderer needs at start; deltas follow as events. */
export interface AppSnapshot {
  readonly version: string;
  readonly platform: string;
  readonly connection: TunnelState;
  readonly profiles: readonly ProfileSummary[];
  readonly settings: AppSettings;
}

export const ipcSchema = {
  app: {
    getSnapshot: invoke<void, AppSnapshot>(noArgs),
  },
  connection: {
    changed: notifyRenderer<TunnelState>(),
  },
  profiles: {
    list: invoke<void, readonly ProfileSummary[]>(noArgs),
    changed: notifyRenderer<readonly ProfileSummary[]>(),
  },
  settings: {
    changed: notifyRenderer<AppSettings>(),
  },
} as const;

export type IpcSchema = typeof ipcSchema;

/** What the preload exposes as `window.tsunagi`. */
export type TsunagiApi = IpcRendererApi<IpcSchema>;
