import { assertNever } from '../../electron/shared/assert-never';
import type { ProfileAuthMethod } from '../../electron/shared/ipc-schema';

export function authMethodLabel(method: ProfileAuthMethod): string {
  switch (method) {
    case 'eap-mschapv2':
      return 'User name and password (EAP-MSCHAPv2)';
    case 'psk':
      return 'Pre-shared key';
    case 'cert':
      return 'Certificate';
    default:
      return assertNever(method);
  }
}

export function profileCountLabel(count: number): string {
  return count === 1 ? '1 profile' : `${count} profiles`;
}
