// The settings' defaults and their run-time validation, shared by main (the settings file, the
// settings.update call) and the schema's argument guard. valibot only: no node:*, no electron.

import * as v from 'valibot';
import type { AppSettings, SettingsPatch } from './ipc-schema.js';

export const DEFAULT_SETTINGS: AppSettings = {
  theme: 'system',
  // The helper's own defaults (native-helper/ipc/protocol.ts DEFAULT_SETTINGS): fail closed.
  killSwitch: true,
  lockdown: false,
  allowLan: false,
  autoConnect: false,
  autoConnectProfileId: null,
  notifications: true,
  launchAtLogin: false,
  trustedNetworks: {
    enabled: false,
    wifi: [],
    wired: [],
    onTrusted: 'disconnect',
    onUntrusted: 'connect',
    alwaysConnectOnOpenWifi: true,
    killSwitchOnUntrusted: false,
  },
};

const MAC = v.pipe(
  v.string(),
  v.regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'must be a MAC address like 00:11:22:33:44:55'),
);

const TrustedWifiSchema = v.strictObject({
  ssid: v.pipe(
    v.string(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(32, 'is at most 32 bytes'),
  ),
  bssids: v.optional(v.array(MAC)),
});

const TrustedWiredSchema = v.pipe(
  v.strictObject({
    gatewayMac: v.optional(MAC),
    dnsSuffix: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]+$/, 'must be a domain like corp.example.com')),
    ),
  }),
  v.check(
    (rule) => rule.gatewayMac !== undefined || rule.dnsSuffix !== undefined,
    'a wired network needs a gateway MAC or a DNS suffix',
  ),
);

const TrustedNetworksSchema = v.strictObject({
  enabled: v.boolean(),
  wifi: v.array(TrustedWifiSchema),
  wired: v.array(TrustedWiredSchema),
  onTrusted: v.picklist(['disconnect', 'nothing']),
  onUntrusted: v.picklist(['connect', 'nothing']),
  alwaysConnectOnOpenWifi: v.boolean(),
  // optional: settings files written before it existed keep their trusted networks
  killSwitchOnUntrusted: v.optional(v.boolean()),
});

const entries = {
  theme: v.picklist(['system', 'light', 'dark']),
  killSwitch: v.boolean(),
  lockdown: v.boolean(),
  allowLan: v.boolean(),
  autoConnect: v.boolean(),
  autoConnectProfileId: v.nullable(v.pipe(v.string(), v.minLength(1))),
  notifications: v.boolean(),
  launchAtLogin: v.boolean(),
  trustedNetworks: TrustedNetworksSchema,
};

export const SettingsSchema = v.strictObject(entries);
export const SettingsPatchSchema = v.partial(v.strictObject(entries));

export function isSettingsPatch(value: unknown): value is SettingsPatch {
  return v.is(SettingsPatchSchema, value);
}

/** Why a patch is refused, naming the field; undefined when it is valid. */
export function settingsPatchProblem(value: unknown): string | undefined {
  const result = v.safeParse(SettingsPatchSchema, value);
  if (result.success) return undefined;
  const issue = result.issues[0];
  return `${v.getDotPath(issue) ?? 'settings'}: ${issue.message}`;
}

/**
 * Reads a settings file's content: unknown or invalid fields fall back to their defaults one by
 * one, so a hand-edited typo costs one setting, not all of them. Returns the fields it dropped.
 */
export function settingsFromJson(json: unknown): { settings: AppSettings; dropped: string[] } {
  const dropped: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { settings: DEFAULT_SETTINGS, dropped: ['(the whole file)'] };
  }
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(json)) {
    if (key === 'version') continue;
    const schema = (entries as Record<string, v.GenericSchema>)[key];
    if (schema && v.is(schema, value)) out[key] = value;
    else dropped.push(key);
  }
  return { settings: out as unknown as AppSettings, dropped };
}
