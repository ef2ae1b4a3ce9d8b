// Main's logic without Electron: the helper link (TunnelController), the renderer's IPC
// handlers, notifications, settings sync with the helper and the trusted-network agent, wired
// together. main-process.ts adds the window, the tray, dialogs and the login item around it; the
// UI-test bridge (test/support/ui-bridge.ts) runs this very function with a fake ipcMain, so the
// page in a real Chromium talks to the same logic the app runs.
//
//   renderer ⇄ ipc-handlers ⇄ AppCore ⇄ TunnelController ⇄ helper socket
//                                 ├─ NotificationController (connected, lost, failed, auto-…)
//                                 └─ TrustAgent (network changes → connect / disconnect)

import type { SenderFrameLike, WebContentsLike, IpcMainLike } from '../shared/ipc-helpers.js';
import type { AppSettings, ConnectionSnapshot, ProfileSummary } from '../shared/ipc-schema.js';
import { registerIpcHandlers, type MainIpc, type ProfileFileDialogs } from './ipc-handlers.js';
import { rulesFromSettings } from './network/current-network.js';
import { systemClock, type Clock, type DebouncerOptions } from './network/network-debouncer.js';
import type { NetworkInfo } from './network/network-info.js';
import { TrustAgent } from './network/trust-agent.js';
import type { TunnelCommand } from './network/trust-rules.js';
import {
  NotificationController,
  type NotificationContent,
} from './notifications/notification-controller.js';
import { ProfileEditor } from './profile-editor.js';
import type { ProfileStore } from './profile-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { TunnelController, type SettingsAccess } from './tunnel/tunnel-controller.js';

export interface AppCoreDeps {
  readonly ipcMain: IpcMainLike;
  readonly getWebContents: () => WebContentsLike | null | undefined;
  readonly isAllowedSender: (frame: SenderFrameLike) => boolean;
  readonly profileStore: ProfileStore;
  /** The folder of the profile file: relative certificate/key/CA paths start there. */
  readonly profileDir: string;
  readonly secretStore: SecretStore;
  readonly dialogs: ProfileFileDialogs;
  readonly writeTextFile: (file: string, text: string) => Promise<void>;
  readonly settings: SettingsAccess;
  readonly detectNetwork: () => Promise<NetworkInfo>;
  readonly appInfo: { readonly version: string; readonly platform: string };
  /** The helper's socket (helperSocketPath() in the app). */
  readonly helperSocket: string;
  readonly showNotification: (content: NotificationContent) => void;
  /** Told after the settings changed, from the window, the tray or the helper (tray, login item). */
  readonly onSettingsChanged?: (settings: AppSettings) => void;
  readonly onConnectionChanged?: (connection: ConnectionSnapshot) => void;
  readonly onProfilesChanged?: (profiles: readonly ProfileSummary[]) => void;
  readonly onUnexpectedError?: (channel: string, error: unknown) => void;
  /** Tests: time for the trust agent, its polling and debouncing, the socket's retry. */
  readonly clock?: Clock;
  readonly trustPollMs?: number;
  readonly debounce?: DebouncerOptions;
  readonly helperRetry?: { readonly firstMs: number; readonly maxMs: number };
}

export interface AppCore {
  readonly ipc: MainIpc;
  readonly controller: TunnelController;
  readonly notifications: NotificationController;
  readonly trustAgent: TrustAgent;
  profiles(): readonly ProfileSummary[];
  /** The settings changed outside the window (the tray): tell everyone who follows them. */
  settingsChanged(settings: AppSettings): void;
  /** Closes the helper link, stops the agent, removes the IPC handlers. */
  dispose(): void;
}

export async function startAppCore(deps: AppCoreDeps): Promise<AppCore> {
  let profiles: readonly ProfileSummary[] = await deps.profileStore.list().catch(() => []);
  const controller = new TunnelController({
    socketPath: deps.helperSocket,
    profiles: deps.profileStore,
    profileDir: deps.profileDir,
    secrets: deps.secretStore,
    settings: deps.settings,
    ...(deps.helperRetry ? { retry: deps.helperRetry } : {}),
  });
  const notifications = new NotificationController({
    enabled: () => deps.settings.get().notifications,
    profiles: () => profiles,
    show: deps.showNotification,
  });

  // Settings from anywhere: the helper enforces kill switch / lockdown / LAN, the agent follows
  // the trusted networks, main-process the tray and the login item.
  let agentRunning = false;
  let lastTrusted = JSON.stringify(deps.settings.get().trustedNetworks);
  const followSettings = (next: AppSettings) => {
    // rules off (or this one off): the user's own kill switch setting applies again
    if (!next.trustedNetworks.enabled || !next.trustedNetworks.killSwitchOnUntrusted)
      void controller.keepKillSwitch(undefined);
    void controller.pushSettings(next);
    const trusted = JSON.stringify(next.trustedNetworks);
    if (trusted !== lastTrusted) {
      lastTrusted = trusted;
      trustAgent.rulesChanged();
    }
    if (next.trustedNetworks.enabled && !agentRunning) {
      agentRunning = true;
      trustAgent.start();
    } else if (!next.trustedNetworks.enabled && agentRunning) {
      agentRunning = false;
      trustAgent.stop();
    }
    deps.onSettingsChanged?.(next);
  };

  const ipc = registerIpcHandlers({
    ipcMain: deps.ipcMain,
    getWebContents: deps.getWebContents,
    isAllowedSender: deps.isAllowedSender,
    profileStore: deps.profileStore,
    profileEditor: new ProfileEditor(deps.profileStore, deps.secretStore),
    dialogs: deps.dialogs,
    writeTextFile: deps.writeTextFile,
    settings: deps.settings,
    detectNetwork: deps.detectNetwork,
    appInfo: deps.appInfo,
    connection: controller,
    onSettingsChanged: followSettings,
    onProfilesChanged: (next) => {
      profiles = next;
      deps.onProfilesChanged?.(next);
    },
    ...(deps.onUnexpectedError ? { onUnexpectedError: deps.onUnexpectedError } : {}),
  });

  const executeCommands = async (commands: readonly TunnelCommand[]) => {
    for (const command of commands) {
      switch (command.command) {
        case 'connect': {
          controller.appLog('info', `auto-connect ${command.profileId}: ${command.reason}`);
          notifications.handle({
            type: 'auto-connect',
            profileId: command.profileId,
            reason: command.reason,
          });
          const result = await controller.connect(command.profileId);
          if (!result.accepted) {
            controller.appLog('error', `auto-connect failed: ${result.message}`, {
              fix: result.fix,
            });
            notifications.handle({
              type: 'connect-failed',
              profileId: command.profileId,
              message: result.message,
              fix: result.fix,
            });
          }
          break;
        }
        case 'disconnect': {
          controller.appLog('info', `auto-disconnect: ${command.reason}`);
          notifications.handle({ type: 'auto-disconnect', reason: command.reason });
          const result = await controller.disconnect();
          if (!result.accepted) controller.appLog('warn', `auto-disconnect: ${result.message}`);
          break;
        }
        case 'kill-switch':
          // before a connect that follows: the block is in force while the tunnel comes up
          await controller.keepKillSwitch(command.on ? command.reason : undefined);
          break;
      }
    }
  };

  const autoConnectProfile = () => {
    const s = deps.settings.get();
    return s.autoConnect ? s.autoConnectProfileId : null;
  };
  const trustAgent = new TrustAgent({
    detect: deps.detectNetwork,
    rules: () => {
      const s = deps.settings.get();
      return rulesFromSettings(s.trustedNetworks, { profileId: autoConnectProfile() });
    },
    tunnel: () => {
      const snapshot = controller.snapshot();
      return {
        state: snapshot.tunnel.state,
        ...(snapshot.profileId !== null ? { profileId: snapshot.profileId } : {}),
      };
    },
    execute: (commands) => void executeCommands(commands),
    onDetectionError: (error) =>
      controller.appLog(
        'warn',
        `cannot tell which network this is, trusted networks are on hold: ${error instanceof Error ? error.message : String(error)}`,
      ),
    clock: deps.clock ?? systemClock,
    ...(deps.trustPollMs !== undefined ? { pollMs: deps.trustPollMs } : {}),
    ...(deps.debounce ? { debounce: deps.debounce } : {}),
  });

  // Auto-connect when the app starts: once, the first time the helper is there. With trusted
  // networks on, the agent decides instead (it knows whether this network is trusted).
  let startDecided = false;
  const decideAtStart = (snapshot: ConnectionSnapshot) => {
    if (startDecided || snapshot.helper.status !== 'ready') return;
    startDecided = true;
    const profileId = autoConnectProfile();
    const s = deps.settings.get();
    if (profileId === null || s.trustedNetworks.enabled) return;
    if (snapshot.tunnel.state !== 'disconnected') {
      controller.appLog(
        'info',
        `auto-connect skipped: the VPN is already ${snapshot.tunnel.state}`,
      );
      return;
    }
    void executeCommands([
      { command: 'connect', profileId, reason: 'Auto-connect when Tsunagi starts' },
    ]);
  };

  controller.on('changed', (snapshot) => {
    ipc.notify.connection.changed(snapshot);
    deps.onConnectionChanged?.(snapshot);
    decideAtStart(snapshot);
  });
  controller.on('stats', (stats) => ipc.notify.connection.stats(stats));
  controller.on('log', (entry) => ipc.notify.logs.entry(entry));
  controller.on('tunnel', (state, previous, profileId) =>
    notifications.handle({ type: 'tunnel', state, previous, profileId }),
  );
  controller.on('settingsChanged', (next) => {
    ipc.notify.settings.changed(next);
    followSettings(next);
  });

  controller.start();
  if (deps.settings.get().trustedNetworks.enabled) {
    agentRunning = true;
    trustAgent.start();
  }

  return {
    ipc,
    controller,
    notifications,
    trustAgent,
    profiles: () => profiles,
    settingsChanged: (next) => {
      ipc.notify.settings.changed(next);
      followSettings(next);
    },
    dispose: () => {
      trustAgent.stop();
      controller.dispose();
      ipc.dispose();
    },
  };
}
