import { assertNever } from '../../electron/shared/assert-never';
import type { ProfileAuthKind } from '../../electron/shared/ipc-schema';

export function authKindLabel(kind: ProfileAuthKind): string {
  switch (kind) {
    case 'eap-mschapv2':
      return 'User name and password (EAP-MSCHAPv2)';
    case 'psk':
      return 'Pre-shared key';
    case 'certificate':
      return 'Certificate';
    default:
      return assertNever(kind);
  }
}

export function profileCountLabel(count: number): string {
  return count === 1 ? '1 profile' : `${count} profiles`;
}
