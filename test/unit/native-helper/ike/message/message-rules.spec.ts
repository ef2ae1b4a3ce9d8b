import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../../../../native-helper/ike/message/exchange-type.js';
import {
  MESSAGE_RULES,
  checkMessageRules,
  isEncryptedExchange,
  rulesFor,
} from '../../../../../native-helper/ike/message/message-rules.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import type { Payload } from '../../../../../native-helper/ike/message/payload.js';
import { expectSyntaxError } from './helpers.js';

const nonce: Payload = { type: PayloadType.NONCE, nonce: new Uint8Array(32) };
const ke: Payload = { type: PayloadType.KE, group: 31, data: new Uint8Array(32) };
const sa: Payload = {
  type: PayloadType.SA,
  proposals: [
    {
      number: 1,
      protocolId: 1,
      spi: new Uint8Array(0),
      transforms: [{ transformType: 1, transformId: 28, attributes: [] }],
    },
  ],
};
const notify = (notifyType: number, data = new Uint8Array(0)): Payload => ({
  type: PayloadType.NOTIFY,
  protocolId: 0,
  spi: new Uint8Array(0),
  notifyType,
  data,
});
const vid: Payload = { type: PayloadType.VENDOR_ID, vendorId: new Uint8Array([1]) };
const del: Payload = { type: PayloadType.DELETE, protocolId: 1, spis: [] };
const unknown: Payload = { type: 'unknown', payloadType: 60, body: new Uint8Array(0) };

describe('message rules', () => {
  it('has one row per exchange and direction', () => {
    const keys = MESSAGE_RULES.map((r) => `${r.exchange}/${r.response}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rulesFor(ExchangeType.IKE_AUTH, true)?.encrypted).toBe(true);
    expect(isEncryptedExchange(ExchangeType.IKE_SA_INIT)).toBe(false);
    expect(isEncryptedExchange(ExchangeType.INFORMATIONAL)).toBe(true);
    expect(isEncryptedExchange(ExchangeType.IKE_SESSION_RESUME)).toBeUndefined();
  });

  it('accepts an IKE_SA_INIT request and the shapes of its responses', () => {
    checkMessageRules(ExchangeType.IKE_SA_INIT, false, false, [
      sa,
      ke,
      nonce,
      notify(16430),
      vid,
      unknown,
    ]);
    checkMessageRules(ExchangeType.IKE_SA_INIT, true, false, [sa, ke, nonce, notify(16430)]);
    checkMessageRules(ExchangeType.IKE_SA_INIT, true, false, [notify(16390, new Uint8Array(8))]); // COOKIE
    checkMessageRules(ExchangeType.IKE_SA_INIT, true, false, [notify(17, new Uint8Array(2))]); // INVALID_KE
  });

  it('rejects missing, duplicated and misplaced payloads', () => {
    const e1 = expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SA_INIT, false, false, [sa, ke]),
      'rule-violation',
    );
    expect(e1.payloadType).toBe(PayloadType.NONCE);
    const e2 = expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SA_INIT, false, false, [sa, ke, nonce, nonce]),
      'rule-violation',
    );
    expect(e2.payloadType).toBe(PayloadType.NONCE);
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SA_INIT, true, false, [sa, sa]),
      'rule-violation',
    );
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SA_INIT, false, false, [sa, ke, nonce, del]),
      'rule-violation',
    );
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.INFORMATIONAL, false, true, [sa]),
      'rule-violation',
    );
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.CREATE_CHILD_SA, false, true, [sa]),
      'rule-violation',
    );
  });

  it('requires encryption exactly where the exchange has it', () => {
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.INFORMATIONAL, false, false, []),
      'rule-violation',
    );
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_AUTH, true, false, [notify(24)]),
      'rule-violation',
    );
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SA_INIT, false, true, [sa, ke, nonce]),
      'rule-violation',
    );
  });

  it('accepts empty and notify-only INFORMATIONALs, several deletes, and unknown exchanges are refused', () => {
    checkMessageRules(ExchangeType.INFORMATIONAL, false, true, []);
    checkMessageRules(ExchangeType.INFORMATIONAL, true, true, [notify(16400), del, del, vid]);
    checkMessageRules(ExchangeType.IKE_INTERMEDIATE, false, true, [ke]);
    checkMessageRules(ExchangeType.CREATE_CHILD_SA, true, true, [notify(14)]);
    expectSyntaxError(
      () => checkMessageRules(ExchangeType.IKE_SESSION_RESUME, false, false, []),
      'rule-violation',
    );
    expectSyntaxError(() => checkMessageRules(33, false, false, []), 'rule-violation');
  });
});
