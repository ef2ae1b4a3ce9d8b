/**
 * The clients ⇄ helper protocol: one versioned schema for requests, responses and events.
 * A cross-process contract: Electron main imports its TYPES only, so this file imports nothing
 * but valibot (no Node).
 *
 * Transport: a Unix stream socket; each frame is a 4-byte big-endian length followed by that many
 * bytes of UTF-8 JSON (at most MAX_FRAME_BYTES). Every inbound frame is validated against
 * ClientFrameSchema before dispatch; anything else is answered with an `error` response.
 *
 *   client → helper   { "id": 1, "method": "hello", "version": 1, "client": "tsunagi-cli" }
 *   helper → client   { "type": "response", "id": 1, "ok": true,
 *                       "result": { "kind": "hello", "version": 1, "helper": "0.1.0", "uid": 1000 } }
 *   client → helper   { "id": 2, "method": "subscribe" }
 *   helper → client   { "type": "event", "event": "state", "state": { "state": "connecting", … } }
 *
 * The first request must be `hello` with version === PROTOCOL_VERSION; a different version is
 * answered with `unsupported-version` and the connection is closed. Secrets travel only inside
 * `connect` (inline in the profile or in `secrets`, keyed by keychain account); the helper keeps
 * them in memory for that connection only and never writes or logs them.
 */
import * as v from 'valibot';

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts (payload bytes, excluding the 4-byte length). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Default socket path of the system helper. */
export const DEFAULT_SOCKET_PATH = '/run/tsunagi/helper.sock';

const RequestId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31));
const ShortText = v.pipe(v.string(), v.maxLength(4096));

// ---------------------------------------------------------------- settings

export const SettingsSchema = v.strictObject({
  /** Block traffic outside the tunnel while connecting, reconnecting and in error. */
  killSwitch: v.boolean(),
  /** Block even when disconnected (and across helper restarts) until lockdown is turned off. */
  lockdown: v.boolean(),
  /** Let the local networks (RFC 1918, link-local, ULA) through while blocking. */
  allowLan: v.boolean(),
});
export type Settings = v.InferOutput<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = { killSwitch: true, lockdown: false, allowLan: false };

// ---------------------------------------------------------------- requests (client → helper)

const HelloRequest = v.strictObject({
  id: RequestId,
  method: v.literal('hello'),
  version: v.pipe(v.number(), v.integer()),
  client: v.optional(v.pipe(v.string(), v.maxLength(128))),
});

/**
 * A profile in the profile format (native-helper/profile/profile.ts, validated in full by the
 * helper with that schema before use). Keychain references in it are resolved from `secrets`.
 */
const ConnectRequest = v.strictObject({
  id: RequestId,
  method: v.literal('connect'),
  profile: v.record(v.string(), v.unknown()),
  /** Keychain account → secret, for every `{ "keychain": account }` in the profile. */
  secrets: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.maxLength(256)), v.pipe(v.string(), v.maxLength(4096))),
      v.check((r) => Object.keys(r).length <= 16, 'at most 16 secrets'),
    ),
  ),
  /** Folder that relative certificate/key/CA paths in the profile are resolved against. */
  baseDir: v.optional(v.pipe(v.string(), v.startsWith('/'), v.maxLength(4096))),
  /**
   * The contents of the certificate, private-key and CA files the profile names, keyed by the
   * path exactly as written in the profile. The client reads them with its own rights, so the
   * root helper never opens a file a client chose.
   */
  files: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.maxLength(4096)), v.pipe(v.string(), v.maxLength(64 * 1024))),
      v.check((r) => Object.keys(r).length <= 16, 'at most 16 files'),
    ),
  ),
});

const DisconnectRequest = v.strictObject({ id: RequestId, method: v.literal('disconnect') });
const StatusRequest = v.strictObject({ id: RequestId, method: v.literal('status') });
const SetSettingsRequest = v.strictObject({
  id: RequestId,
  method: v.literal('set-settings'),
  settings: v.partial(SettingsSchema),
});
export const EVENT_TOPICS = ['state', 'stats', 'log', 'timeline', 'settings'] as const;
const SubscribeRequest = v.strictObject({
  id: RequestId,
  method: v.literal('subscribe'),
  /** Which events to receive; all when omitted. */
  topics: v.optional(v.array(v.picklist(EVENT_TOPICS))),
});

export const ClientFrameSchema = v.variant('method', [
  HelloRequest,
  ConnectRequest,
  DisconnectRequest,
  StatusRequest,
  SetSettingsRequest,
  SubscribeRequest,
]);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;
export type Method = ClientFrame['method'];
export type EventTopic = (typeof EVENT_TOPICS)[number];

// ---------------------------------------------------------------- tunnel state

const Since = v.number();
export const TunnelStateSchema = v.variant('state', [
  v.strictObject({
    state: v.literal('disconnected'),
    /** Why we got here: not-started (fresh helper), user, peer, … */
    reason: ShortText,
    /**
     * True when the firewall really blocks traffic now (lockdown here): what the kernel holds,
     * not only what the settings ask for; a policy that could not be applied says false.
     */
    blocking: v.boolean(),
  }),
  v.strictObject({
    state: v.literal('connecting'),
    profile: ShortText,
    server: ShortText,
    gateway: ShortText,
    blocking: v.boolean(),
    since: Since,
  }),
  v.strictObject({
    state: v.literal('connected'),
    profile: ShortText,
    server: ShortText,
    gateway: ShortText,
    virtualIp: ShortText,
    /** The IPv6 address the gateway assigned, when it assigned one. */
    virtualIp6: v.optional(ShortText),
    dns: v.array(ShortText),
    tun: ShortText,
    ike: ShortText,
    esp: ShortText,
    routes: v.array(ShortText),
    blocking: v.boolean(),
    since: Since,
  }),
  v.strictObject({
    state: v.literal('reconnecting'),
    profile: ShortText,
    server: ShortText,
    gateway: ShortText,
    attempt: v.number(),
    reason: ShortText,
    blocking: v.boolean(),
    since: Since,
  }),
  v.strictObject({
    state: v.literal('disconnecting'),
    profile: ShortText,
    blocking: v.boolean(),
  }),
  v.strictObject({
    state: v.literal('error'),
    code: ShortText,
    message: ShortText,
    fix: ShortText,
    blocking: v.boolean(),
  }),
]);
export type TunnelState = v.InferOutput<typeof TunnelStateSchema>;
export type TunnelStateName = TunnelState['state'];

/** Epoch milliseconds of one SA kind's last rekey and its next scheduled one (null: none yet / none armed). */
const RekeyTimesSchema = v.strictObject({
  last: v.nullable(v.number()),
  next: v.nullable(v.number()),
});

export const StatsSchema = v.strictObject({
  at: v.number(),
  bytesIn: v.number(),
  bytesOut: v.number(),
  packetsIn: v.number(),
  packetsOut: v.number(),
  drops: v.number(),
  /** Bytes per second over the last sampling interval. */
  rateIn: v.number(),
  rateOut: v.number(),
  /** Negotiated algorithms (strongSwan syntax), empty before the tunnel is up. */
  ike: v.string(),
  esp: v.string(),
  /**
   * When the IKE SA and the Child SA were last rekeyed (by either side) and when we will rekey
   * them next (the armed soft-lifetime timer). Absent before the tunnel is up (and from helpers
   * older than this field).
   */
  rekey: v.optional(v.strictObject({ ike: RekeyTimesSchema, child: RekeyTimesSchema })),
});
export type Stats = v.InferOutput<typeof StatsSchema>;

export const FIREWALL_POLICY_KINDS = ['none', 'allow-all', 'blocked', 'connected'] as const;
/** What the kill switch really has in the kernel, next to what the current state wants. */
export const FirewallStatusSchema = v.strictObject({
  /**
   * The policy the last successful apply installed (`none`: nothing applied yet, or the table
   * was found missing and not yet put back). A failed apply leaves the previous one in place
   * (nft applies a script in one transaction).
   */
  applied: v.picklist(FIREWALL_POLICY_KINDS),
  /** The current state's policy; differs from `applied` only while something failed. */
  wanted: v.picklist(FIREWALL_POLICY_KINDS),
  /** Why the last apply failed (nft's message); absent when it worked. */
  error: v.optional(ShortText),
  /** How often the helper found its table gone (flushed by someone else) and put it back. */
  restored: v.number(),
});
export type FirewallStatus = v.InferOutput<typeof FirewallStatusSchema>;

export const StatusSchema = v.strictObject({
  helper: v.string(),
  protocolVersion: v.number(),
  state: TunnelStateSchema,
  settings: SettingsSchema,
  stats: StatsSchema,
  /** The kill switch as applied (absent from helpers older than this field). */
  firewall: v.optional(FirewallStatusSchema),
});
export type Status = v.InferOutput<typeof StatusSchema>;

// ---------------------------------------------------------------- timeline and log

/** Milestones of a connection, in the order a user would read them (the connection view's timeline). */
export const TIMELINE_KINDS = [
  'ike-sa-init-sent',
  'cookie-requested',
  'invalid-ke',
  'redirected',
  'nat-detected',
  'floated-to-natt',
  'authenticated',
  'eap-round',
  'established',
  'virtual-ip',
  'routes',
  'dns',
  'child-rekeyed',
  'ike-rekeyed',
  'mobike-update',
  'network-changed',
  'dpd-sent',
  'dpd-timeout',
  'retransmit',
  'peer-delete',
  'reconnecting',
  'closed',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const TimelineEntrySchema = v.strictObject({
  /** Epoch milliseconds. */
  at: v.number(),
  kind: v.picklist(TIMELINE_KINDS),
  /** One sentence for people, e.g. "NAT detected on our side — moved to UDP 4500". */
  text: ShortText,
});
export type TimelineEntry = v.InferOutput<typeof TimelineEntrySchema>;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Where a log line comes from (the logs view filters by it); `app` lines come from Electron main. */
export const LOG_COMPONENTS = ['helper', 'ike', 'esp', 'tunnel', 'firewall', 'app'] as const;
export type LogComponent = (typeof LOG_COMPONENTS)[number];

export const LogEntrySchema = v.strictObject({
  at: v.number(),
  level: v.picklist(LOG_LEVELS),
  component: v.picklist(LOG_COMPONENTS),
  /** Already redacted: never a secret. */
  text: v.pipe(v.string(), v.maxLength(16 * 1024)),
});
export type LogEntry = v.InferOutput<typeof LogEntrySchema>;

/** How much history the helper keeps for late subscribers (ring buffers). */
export const HISTORY_LIMITS = { timeline: 200, logs: 500 } as const;

// ---------------------------------------------------------------- responses and events (helper → client)

export const ERROR_CODES = [
  /** The peer's uid may not control the helper (sent once, then the socket is closed). */
  'forbidden',
  'frame-too-large',
  'malformed-frame',
  'invalid-request',
  'hello-required',
  'unsupported-version',
  'invalid-profile',
  /** The profile's server name did not resolve (needed before the firewall can allow it). */
  'unresolvable-server',
  'busy',
  'not-connected',
  'firewall-failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const HelloResult = v.strictObject({
  kind: v.literal('hello'),
  version: v.number(),
  helper: v.string(),
  uid: v.number(),
});
const AcceptedResult = v.strictObject({ kind: v.literal('accepted'), state: TunnelStateSchema });
const StatusResult = v.strictObject({ kind: v.literal('status'), status: StatusSchema });
const SettingsResult = v.strictObject({ kind: v.literal('settings'), settings: SettingsSchema });
const SubscribedResult = v.strictObject({
  kind: v.literal('subscribed'),
  topics: v.array(v.picklist(EVENT_TOPICS)),
  /** The current state, so a subscriber starts from a snapshot and then gets deltas. */
  status: StatusSchema,
  /** The current (or last) connection's timeline and the recent log, oldest first. */
  history: v.strictObject({
    timeline: v.array(TimelineEntrySchema),
    logs: v.array(LogEntrySchema),
  }),
});

export const ResultSchema = v.variant('kind', [
  HelloResult,
  AcceptedResult,
  StatusResult,
  SettingsResult,
  SubscribedResult,
]);
export type Result = v.InferOutput<typeof ResultSchema>;

export const ResponseSchema = v.variant('ok', [
  v.strictObject({
    type: v.literal('response'),
    /** The request's id; null when the frame was unreadable. */
    id: v.nullable(v.number()),
    ok: v.literal(true),
    result: ResultSchema,
  }),
  v.strictObject({
    type: v.literal('response'),
    id: v.nullable(v.number()),
    ok: v.literal(false),
    error: v.strictObject({ code: v.picklist(ERROR_CODES), message: v.string() }),
  }),
]);
export type Response = v.InferOutput<typeof ResponseSchema>;

export const EventSchema = v.variant('event', [
  v.strictObject({ type: v.literal('event'), event: v.literal('state'), state: TunnelStateSchema }),
  v.strictObject({ type: v.literal('event'), event: v.literal('stats'), stats: StatsSchema }),
  v.strictObject({ type: v.literal('event'), event: v.literal('log'), entry: LogEntrySchema }),
  v.strictObject({
    type: v.literal('event'),
    event: v.literal('timeline'),
    entry: TimelineEntrySchema,
  }),
  v.strictObject({
    type: v.literal('event'),
    event: v.literal('settings'),
    settings: SettingsSchema,
  }),
]);
export type HelperEvent = v.InferOutput<typeof EventSchema>;

export const HelperFrameSchema = v.union([ResponseSchema, EventSchema]);
export type HelperFrame = v.InferOutput<typeof HelperFrameSchema>;

/** Parses a client frame; the first issue's path and message on failure. */
export function parseClientFrame(
  value: unknown,
): { ok: true; frame: ClientFrame } | { ok: false; message: string } {
  const r = v.safeParse(ClientFrameSchema, value, { abortPipeEarly: true });
  if (r.success) return { ok: true, frame: r.output };
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return { ok: false, message: `${path ? `${path}: ` : ''}${issue.message}` };
}

export function parseHelperFrame(
  value: unknown,
): { ok: true; frame: HelperFrame } | { ok: false; message: string } {
  const r = v.safeParse(HelperFrameSchema, value);
  if (r.success) return { ok: true, frame: r.output };
  return { ok: false, message: r.issues[0].message };
}
