/**
 * The PEM files a profile names (certificate, private key, CAs), and where their contents come
 * from. The foreground `tsunagi connect` reads them itself (it already runs with the invoking
 * user's rights); the root helper never opens a path a client wrote into a profile: the client
 * reads the files and sends their contents with `connect.files`, keyed by the path as written.
 */
import type { Profile } from './profile.js';

export interface ProfileFileRef {
  /** The profile field that names the file (for error messages). */
  field: string;
  /** The path exactly as written in the profile. */
  path: string;
}

/**
 * The files this profile needs to connect. A PSK profile authenticates the gateway with the PSK
 * too, so its `ca` entries are not used and not needed.
 */
export function profileFileRefs(profile: Profile): ProfileFileRef[] {
  if (profile.auth.method === 'psk') return [];
  const refs: ProfileFileRef[] = [];
  if (profile.auth.method === 'cert')
    refs.push(
      { field: 'auth.certificate', path: profile.auth.certificate },
      { field: 'auth.privateKey', path: profile.auth.privateKey },
    );
  for (const [i, path] of profile.ca.entries()) refs.push({ field: `ca[${i}]`, path });
  return refs;
}

/** Where a connection gets the contents of the files its profile names. */
export type ProfileFiles =
  /** Read from disk, relative to the profile's folder (only for code running as the user). */
  | { kind: 'directory'; baseDir: string }
  /** Sent by the client: path as written in the profile → PEM text. Nothing is read from disk. */
  | { kind: 'sent'; contents: Readonly<Record<string, string>> };

/** The refs whose contents were not sent (empty when everything needed is there). */
export function missingFiles(
  profile: Profile,
  contents: Readonly<Record<string, string>> | undefined,
): ProfileFileRef[] {
  return profileFileRefs(profile).filter(
    (r) => contents === undefined || !Object.prototype.hasOwnProperty.call(contents, r.path),
  );
}
