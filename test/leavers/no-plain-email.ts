import type { Client } from '@temporalio/client';
import { ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec';
import { scanRun, type ScannedHistory } from '../privacy/history-scan';

/** Fails naming the place and the emails found there (never the whole text). */
function expectAbsent(where: string, haystack: string, emails: readonly string[]): void {
  const found = emails.filter((email) => haystack.includes(email));
  expect({ where, found }).toEqual({ where, found: [] });
}

/** A payload's path in history that is a memo field (a start's `memo`, upsertMemo's `upsertedMemo`): its name. */
const memoField = (where: string): string | undefined => /[mM]emo\.fields\[([^\]]+)\]$/.exec(where)?.[1];

/** Payloads the SDK never runs through a codec (test/privacy/history.test.ts): checked as they are. */
const uncodedPath = (where: string) => /searchAttributes|\.header\.|markerRecordedEventAttributes\.details\[patch-data\]/.test(where);

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
      if (memoField(payload.path) !== undefined) {
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
      const field = memoField(payload.path);
      if (field !== undefined) fields.set(field, `${fields.get(field) ?? ''}\n${payload.text}`);
    }
  }
  return fields;
}

/** Every payload of `histories`, decoded, as one text. */
export const decodedPayloads = (histories: readonly ScannedHistory[]): string => histories.flatMap((history) => history.payloads.map((payload) => payload.text)).join('\n');
