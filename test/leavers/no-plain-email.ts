import type { Client } from '@temporalio/client';
import { ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec';
import { expectAbsent, memoFieldOf, scanRun, uncodedPath, type ScannedHistory } from '../privacy/history-scan';

/**
 * What Temporal holds of the run `workflowId` and its children (every history whose workflow ID starts with it), read
 * as test/privacy does: each history's protobuf bytes hold none of `emails` (IDs, event names, search attributes,
 * failure messages, and every payload as stored: a payload that skipped the codec would show here); every memo payload
 * is encrypted, and decoded with the client's key it names none of them either; nor do the uncoded payloads.
 * Returns the histories, whose decoded payloads a test can look into.
 */
export async function expectNoPlainEmails(client: Client, workflowId: string, emails: readonly string[]): Promise<ScannedHistory[]> {
  const histories = await scanRun(client, workflowId);
  expect(histories.map((history) => history.workflowId)).toContain(workflowId);
  for (const history of histories) {
    expectAbsent(`${history.workflowId} (raw)`, history.raw, emails);
    for (const payload of history.payloads) {
      const at = `${history.workflowId} ${payload.path}`;
      if (memoFieldOf(payload.path) !== undefined) {
        expect({ at, encoding: payload.encoding }).toEqual({ at, encoding: ENCRYPTED_ENCODING });
        expectAbsent(`${at} (decoded)`, payload.text, emails);
      } else if (uncodedPath(payload.path)) expectAbsent(`${at} (plain)`, payload.text, emails);
    }
  }
  return histories;
}

/** Each memo field's decoded payloads in `histories`, joined, by field name. */
export function decodedMemoFields(histories: readonly ScannedHistory[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (const history of histories) {
    for (const payload of history.payloads) {
      const field = memoFieldOf(payload.path);
      if (field !== undefined) fields.set(field, `${fields.get(field) ?? ''}\n${payload.text}`);
    }
  }
  return fields;
}

/** Every payload of `histories`, decoded, as one text. */
export const decodedPayloads = (histories: readonly ScannedHistory[]): string => histories.flatMap((history) => history.payloads.map((payload) => payload.text)).join('\n');
