// Turns the schema in ipc-schema.ts into typed endpoints for each side (Mullvad's
// shared/ipc-helpers.ts, adapted). The only place channel names are made: `<group>.<name>`.
//
// Shared by main, preload and renderer: imports nothing from node:*, electron or React. The
// Electron objects are described here structurally (IpcMainLike, IpcRendererLike, …) so the
// real `ipcMain`/`ipcRenderer` fit, and so do the test fakes and the UI-test bridge.

/* ---------------------------------------------------------------------------------------------- */
/* Results: errors cross the bridge as values, never as thrown exceptions.                        */

export type IpcErrorCode =
  /** The call came from a frame that is not our own page. */
  | 'forbidden-sender'
  /** The arguments do not match the schema. */
  | 'invalid-arguments'
  /** The profile file exists but cannot be understood. */
  | 'profile-store-corrupt'
  /** The profile file exists but cannot be read (permissions, I/O). */
  | 'profile-store-unreadable'
  /** No profile has this id. */
  | 'profile-not-found'
  /** A profile (imported or edited) does not follow the profile format; the message says why. */
  | 'profile-invalid'
  /** The keychain cannot be reached or refused; the message says why. */
  | 'keychain-unavailable'
  /** A settings change does not match the settings' schema. */
  | 'settings-invalid'
  /** The feature does not work on this platform or in this build yet; the message says why. */
  | 'not-supported'
  /** The handler failed in a way it did not describe. */
  | 'internal'
  /** The call never got an answer from main (no handler, bridge failure). */
  | 'transport';

export interface IpcError {
  readonly code: IpcErrorCode;
  readonly message: string;
}

export type IpcResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IpcError };

/** Thrown by a main-side handler to answer with a specific error code. */
export class IpcCallError extends Error {
  override readonly name = 'IpcCallError';
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function ipcOk<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function ipcErr(code: IpcErrorCode, message: string): IpcResult<never> {
  return { ok: false, error: { code, message } };
}

/* ---------------------------------------------------------------------------------------------- */
/* Schema descriptors                                                                             */

/** A renderer → main call. `isArgs` validates the arguments at run time in main. */
export interface InvokeCall<Args, Result> {
  readonly kind: 'invoke';
  readonly isArgs: (value: unknown) => value is Args;
  /** Phantom: carries the result type, never set. */
  readonly __result?: Result;
}

/** A main → renderer event. */
export interface NotifyEvent<T> {
  readonly kind: 'notify';
  /** Phantom: carries the payload type, never set. */
  readonly __payload?: T;
}

export function invoke<Args, Result>(
  isArgs: (value: unknown) => value is Args,
): InvokeCall<Args, Result> {
  return { kind: 'invoke', isArgs };
}

export function notifyRenderer<T>(): NotifyEvent<T> {
  return { kind: 'notify' };
}

/** Argument guard for calls that take none. */
export function noArgs(value: unknown): value is void {
  return value === undefined;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- `any` only as the bound of the generics */
type AnyInvokeCall = InvokeCall<any, any>;
type AnyNotifyEvent = NotifyEvent<any>;
/* eslint-enable @typescript-eslint/no-explicit-any */
export type AnyIpcCall = AnyInvokeCall | AnyNotifyEvent;
export type AnyIpcSchema = { readonly [group: string]: { readonly [name: string]: AnyIpcCall } };

type ArgsOf<C> = C extends InvokeCall<infer A, unknown> ? A : never;
type ResultOf<C> = C extends InvokeCall<unknown, infer R> ? R : never;
type PayloadOf<C> = C extends NotifyEvent<infer T> ? T : never;

function channelOf(group: string, name: string): string {
  return `${group}.${name}`;
}

function eachCall(schema: AnyIpcSchema, kind: AnyIpcCall['kind']) {
  return Object.entries(schema).flatMap(([group, calls]) =>
    Object.entries(calls)
      .filter(([, call]) => call.kind === kind)
      .map(([name, call]) => ({ group, name, call, channel: channelOf(group, name) })),
  );
}

/* ---------------------------------------------------------------------------------------------- */
/* Main side                                                                                      */

/** The parts of an Electron WebFrameMain the sender check reads. */
export interface SenderFrameLike {
  readonly url: string;
  readonly parent: SenderFrameLike | null;
}

/** The parts of an Electron IpcMainInvokeEvent we read. */
export interface IpcInvokeEventLike {
  readonly senderFrame: SenderFrameLike | null;
}

/** The parts of Electron's ipcMain we use. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown,
  ): void;
  removeHandler(channel: string): void;
}

/** The parts of Electron's WebContents used to notify the renderer. */
export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export type MainHandler<C> = (args: ArgsOf<C>) => ResultOf<C> | Promise<ResultOf<C>>;

export type IpcMainHandle<S extends AnyIpcSchema> = {
  readonly [G in keyof S]: {
    readonly [K in keyof S[G] as S[G][K] extends AnyInvokeCall ? K : never]: (
      handler: MainHandler<S[G][K]>,
    ) => void;
  };
};

export type IpcMainNotify<S extends AnyIpcSchema> = {
  readonly [G in keyof S]: {
    readonly [K in keyof S[G] as S[G][K] extends AnyNotifyEvent ? K : never]: (
      value: PayloadOf<S[G][K]>,
    ) => void;
  };
};

export interface IpcMainEndpoints<S extends AnyIpcSchema> {
  readonly handle: IpcMainHandle<S>;
  readonly notify: IpcMainNotify<S>;
  /** Channels of calls that have no handler yet (`<group>.<name>`). */
  unhandled(): string[];
  /** Removes every handler this endpoint registered. */
  dispose(): void;
}

export interface IpcMainOptions {
  /** Whether a call from this frame may be answered (our own page, top frame). */
  isAllowedSender(frame: SenderFrameLike): boolean;
  /** Told about handler failures that were not IpcCallErrors (for the log). */
  onUnexpectedError?(channel: string, error: unknown): void;
}

export function createIpcMain<S extends AnyIpcSchema>(
  schema: S,
  ipcMain: IpcMainLike,
  getWebContents: () => WebContentsLike | null | undefined,
  options: IpcMainOptions,
): IpcMainEndpoints<S> {
  const registered = new Set<string>();
  const handle: Record<string, Record<string, (handler: (args: unknown) => unknown) => void>> = {};
  const notify: Record<string, Record<string, (value: unknown) => void>> = {};
  const invokeCalls = eachCall(schema, 'invoke');

  for (const { group, name, call, channel } of invokeCalls) {
    if (call.kind !== 'invoke') continue;
    (handle[group] ??= {})[name] = (handler) => {
      if (registered.has(channel)) throw new Error(`IPC call ${channel} already has a handler`);
      registered.add(channel);
      ipcMain.handle(channel, async (event, ...args): Promise<IpcResult<unknown>> => {
        const frame = event.senderFrame;
        if (frame === null || !options.isAllowedSender(frame)) {
          return ipcErr('forbidden-sender', `${channel} refused: the caller is not the app's page`);
        }
        const arg = args[0];
        if (args.length > 1 || !call.isArgs(arg)) {
          return ipcErr('invalid-arguments', `${channel}: arguments do not match the schema`);
        }
        try {
          return ipcOk(await handler(arg));
        } catch (error) {
          if (error instanceof IpcCallError) return ipcErr(error.code, error.message);
          options.onUnexpectedError?.(channel, error);
          return ipcErr('internal', `${channel} failed: ${describeError(error)}`);
        }
      });
    };
  }
  for (const { group, name, channel } of eachCall(schema, 'notify')) {
    (notify[group] ??= {})[name] = (value) => {
      const contents = getWebContents();
      if (contents && !contents.isDestroyed()) contents.send(channel, value);
    };
  }
  for (const group of Object.keys(schema)) {
    handle[group] ??= {};
    notify[group] ??= {};
  }

  return {
    // The runtime objects are built from the same schema the mapped types are computed from.
    handle: handle as unknown as IpcMainHandle<S>,
    notify: notify as unknown as IpcMainNotify<S>,
    unhandled: () =>
      invokeCalls.map(({ channel }) => channel).filter((channel) => !registered.has(channel)),
    dispose: () => {
      for (const channel of registered) ipcMain.removeHandler(channel);
      registered.clear();
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/* ---------------------------------------------------------------------------------------------- */
/* Renderer side                                                                                  */

/** The parts of Electron's ipcRenderer we use. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export type Unsubscribe = () => void;

type RendererCall<C> = [ArgsOf<C>] extends [void]
  ? () => Promise<IpcResult<ResultOf<C>>>
  : (args: ArgsOf<C>) => Promise<IpcResult<ResultOf<C>>>;

type RendererListen<C> = (listener: (value: PayloadOf<C>) => void) => Unsubscribe;

/**
 * What the renderer sees: calls keep their name and resolve to an IpcResult (they never reject);
 * an event `changed` becomes `listenChanged(listener)`, which returns its unsubscribe function.
 */
export type IpcRendererApi<S extends AnyIpcSchema> = {
  readonly [G in keyof S]: {
    readonly [
      K in keyof S[G] as S[G][K] extends AnyInvokeCall ? K : `listen${Capitalize<K & string>}`
    ]: S[G][K] extends AnyInvokeCall ? RendererCall<S[G][K]> : RendererListen<S[G][K]>;
  };
};

export function createIpcRenderer<S extends AnyIpcSchema>(
  schema: S,
  ipcRenderer: IpcRendererLike,
): IpcRendererApi<S> {
  const api: Record<string, Record<string, unknown>> = {};
  for (const group of Object.keys(schema)) api[group] = {};

  for (const { group, name, channel } of eachCall(schema, 'invoke')) {
    api[group]![name] = async (args?: unknown): Promise<IpcResult<unknown>> => {
      try {
        const answer =
          args === undefined
            ? await ipcRenderer.invoke(channel)
            : await ipcRenderer.invoke(channel, args);
        return isIpcResult(answer)
          ? answer
          : ipcErr('transport', `${channel}: main answered with something that is not a result`);
      } catch (error) {
        return ipcErr('transport', `${channel}: ${describeError(error)}`);
      }
    };
  }
  for (const { group, name, channel } of eachCall(schema, 'notify')) {
    api[group]![`listen${name.charAt(0).toUpperCase()}${name.slice(1)}`] = (
      listener: (value: unknown) => void,
    ): Unsubscribe => {
      // The IpcRendererEvent stays here: the page only ever gets the payload.
      const onMessage = (_event: unknown, value: unknown) => listener(value);
      ipcRenderer.on(channel, onMessage);
      return () => {
        ipcRenderer.removeListener(channel, onMessage);
      };
    };
  }
  // Built from the same schema the mapped type is computed from.
  return api as unknown as IpcRendererApi<S>;
}

function isIpcResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return 'value' in value;
  if (value.ok !== false || !('error' in value)) return false;
  const error = value.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}
