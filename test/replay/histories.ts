/**
 * The committed workflow histories of test/replay/histories/ and what the recorder and the replay tests share: the
 * test-only encryption key they are encrypted with, how a history names its workflow, and its "shape" (which commands
 * it holds, in order) so the recorder keeps one history per distinct path instead of one per employee.
 */
import { METADATA_ENCODING_KEY, METADATA_MESSAGE_TYPE_KEY, type DataConverter, type Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AesGcmPayloadCodec, isEncryptedPayload } from '../../codec/aes-gcm-codec';
import { connectorDataConverter } from '../../codec/data-converter';
import { ENCRYPTION_KEY_VARIABLE, readEncryptionKeys } from '../../codec/keys';

export const HISTORIES_DIRECTORY = path.join(__dirname, 'histories');
/** A public key, committed on purpose: it encrypts nothing but these recordings of sandbox runs. */
export const TEST_ONLY_KEY_FILE = path.join(HISTORIES_DIRECTORY, 'TEST-ONLY-KEY');

/** The reference payload the SDK's external storage leaves in history instead of a large payload. */
const PAYLOAD_STORE_REFERENCE_TYPE = 'temporal.api.sdk.v1.ExternalStorageReference';

export function testOnlyEncryptionKey(): string {
  const lines = readFileSync(TEST_ONLY_KEY_FILE, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length !== 1 || !lines[0]) throw new Error(`${TEST_ONLY_KEY_FILE}: expected exactly one base64 key line besides # comments`);
  return lines[0];
}

/** The encryption environment of recording workers and clients, and of the replayer: the test-only key alone. */
export function testOnlyKeyEnvironment(): Record<string, string> {
  return { [ENCRYPTION_KEY_VARIABLE]: testOnlyEncryptionKey() };
}

/**
 * The data converter a replay runs with: the connector's own (codec and failure converter), keyed with the test-only
 * key and without external storage. Committed histories must carry every payload inline: a payload-store reference
 * would point into a folder that is gone by the time the test runs.
 */
export function replayDataConverter(): DataConverter {
  return connectorDataConverter(testOnlyKeyEnvironment());
}

export interface CommittedHistory {
  /** Path below test/replay/histories/, e.g. `first-load/employeeCreateWorkflow-1.json`: what a failure names. */
  file: string;
  scenario: string;
  workflowType: string;
  workflowId: string;
  history: History;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function startedAttributes(history: History, where: string) {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`${where}: the first event is not WorkflowExecutionStarted`);
  return started;
}

export function workflowTypeOf(history: History, where = 'history'): string {
  const name = startedAttributes(history, where).workflowType?.name;
  if (!name) throw new Error(`${where}: WorkflowExecutionStarted names no workflow type`);
  return name;
}

/**
 * The workflow ID the run had. Replay must use it: the connector derives its children's IDs from it, and a child
 * started under another ID is a different command.
 */
export function workflowIdOf(history: History, where = 'history'): string {
  const workflowId = startedAttributes(history, where).workflowId;
  if (!workflowId) throw new Error(`${where}: WorkflowExecutionStarted carries no workflowId (recorded by a server older than 1.24?)`);
  return workflowId;
}

function eventTypeName(event: HistoryEvent): string {
  const attributes = Object.keys(event).find((key) => key.endsWith('EventAttributes') && event[key as keyof HistoryEvent]);
  return attributes ? attributes.replace(/EventAttributes$/, '') : String(event.eventType);
}

/** What each event asked for by name (activity, child workflow, marker, signal), so two paths that differ only in names differ in shape. */
function eventName(event: HistoryEvent): string | undefined {
  return (
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
    event.markerRecordedEventAttributes?.markerName ??
    event.workflowExecutionSignaledEventAttributes?.signalName ??
    event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
    undefined
  );
}

/** Events that record a command of the workflow code: what replay compares, in order. */
const COMMAND_EVENTS = new Set([
  'activityTaskScheduled', 'activityTaskCancelRequested', 'timerStarted', 'timerCanceled', 'startChildWorkflowExecutionInitiated',
  'signalExternalWorkflowExecutionInitiated', 'requestCancelExternalWorkflowExecutionInitiated', 'markerRecorded',
  'upsertWorkflowSearchAttributes', 'workflowPropertiesModified', 'workflowExecutionCompleted', 'workflowExecutionFailed',
  'workflowExecutionCanceled', 'workflowExecutionContinuedAsNew', 'workflowExecutionUpdateAccepted', 'workflowExecutionUpdateCompleted',
]);

/** Results that send workflow code down another branch than the usual "it completed", and signals it handles. */
function isTellingResult(type: string): boolean {
  return !type.startsWith('workflowTask') && (/(Failed|TimedOut|Canceled)$/.test(type) || type === 'workflowExecutionSignaled');
}

/** The activity or child workflow a result event answers, by the ID of the event that scheduled it. */
function requestOf(event: HistoryEvent): string | undefined {
  const attributes = Object.values(event).find((value): value is { scheduledEventId?: unknown; initiatedEventId?: unknown } => typeof value === 'object' && value !== null && ('scheduledEventId' in value || 'initiatedEventId' in value));
  const id = attributes?.scheduledEventId ?? attributes?.initiatedEventId;
  // Event IDs are Longs: their string form is the number.
  return id === undefined || id === null ? undefined : String(id);
}

/**
 * Which path a history took: its commands in order (what replay compares), and the set of results that steer code off
 * the usual path (failures, timeouts, signals). Completions, terminations and workflow-task bookkeeping are left out:
 * when they land (whether the lock's completion reaches its parent before the parent ends, whether the parent's close
 * terminates the lock before it handles `release`, a workflow task the server refused because a new event arrived) is
 * timing, not code.
 */
export function historyShape(history: History): string {
  const commands: string[] = [];
  const results = new Set<string>();
  const names = new Map<string, string>();
  for (const event of history.events ?? []) {
    const type = eventTypeName(event);
    const request = requestOf(event);
    const name = eventName(event) ?? (request === undefined ? undefined : names.get(request));
    if (name && event.eventId !== undefined && event.eventId !== null) names.set(String(event.eventId), name);
    const line = name ? `${type}(${name})` : type;
    if (COMMAND_EVENTS.has(type)) commands.push(line);
    else if (isTellingResult(type)) results.add(line);
  }
  return [...commands, '--', ...[...results].sort()].join('\n');
}

/**
 * Whether `shape` adds nothing to `known`: a run cut short by termination (a lock its parent's close ended) replays the
 * same code as a complete run of the same start, so its shape is covered by any known shape it is the beginning of.
 */
export function isCoveredBy(shape: string, terminated: boolean, known: Iterable<string>): boolean {
  const [commands, results] = splitShape(shape);
  for (const other of known) {
    if (other === shape) return true;
    const [otherCommands, otherResults] = splitShape(other);
    if (terminated && results === otherResults && `${otherCommands}\n`.startsWith(`${commands}\n`)) return true;
  }
  return false;
}

function splitShape(shape: string): [commands: string, results: string] {
  const separator = shape.indexOf('\n--');
  return separator < 0 ? [shape, ''] : [shape.slice(0, separator), shape.slice(separator + '\n--'.length)];
}

export function wasTerminated(history: History): boolean {
  return Boolean(history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes);
}

export function readHistoryFile(file: string): History {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIRECTORY, file), 'utf8')));
}

/** The history files of one scenario folder (relative to HISTORIES_DIRECTORY), in name order. */
export function scenarioFiles(scenario: string): string[] {
  const folder = path.join(HISTORIES_DIRECTORY, scenario);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith('.json')).sort(byNumberedName).map((name) => path.join(scenario, name));
}

/** `employeeCreateWorkflow-2.json` before `employeeCreateWorkflow-10.json`. */
function byNumberedName(left: string, right: string): number {
  return left.localeCompare(right, 'en', { numeric: true });
}

export function scenarios(): string[] {
  return readdirSync(HISTORIES_DIRECTORY, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** Every committed history, read and parsed (sync: the replay test's `it.each` needs the list when the file loads). */
export function committedHistories(): CommittedHistory[] {
  return scenarios().flatMap((scenario) => scenarioFiles(scenario).map((file) => {
    const history = readHistoryFile(file);
    return { file, scenario, workflowType: workflowTypeOf(history, file), workflowId: workflowIdOf(history, file), history };
  }));
}

/** A history as the replay test will read it back from its file (the recorder compares shapes of like with like). */
export function asCommitted(history: History): History {
  return historyFromJSON(JSON.parse(historyToJSON(history)));
}

/** Writes a history as Temporal's JSON history format (the one `temporal workflow show --output json` prints). */
export function writeHistoryFile(file: string, history: History): void {
  mkdirSync(path.dirname(path.join(HISTORIES_DIRECTORY, file)), { recursive: true });
  writeFileSync(path.join(HISTORIES_DIRECTORY, file), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}

function isPayload(value: object): value is Payload {
  return 'data' in value && value.data instanceof Uint8Array && 'metadata' in value && typeof value.metadata === 'object';
}

function collectPayloads(value: unknown, into: Payload[]): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return into;
  if (isPayload(value)) {
    into.push(value);
    return into;
  }
  for (const child of Object.values(value)) collectPayloads(child, into);
  return into;
}

function metadataText(payload: Payload, key: string): string | undefined {
  const raw = payload.metadata?.[key];
  return raw ? Buffer.from(raw).toString('utf8') : undefined;
}

/**
 * Why a history could not be replayed forever, if anything: an encrypted payload the test-only key cannot decrypt,
 * or a payload kept in the payload store (only a reference inline). Empty when every payload is readable from the
 * file alone.
 */
export async function payloadProblems(history: History): Promise<string[]> {
  const keys = readEncryptionKeys(testOnlyKeyEnvironment());
  if (!keys) throw new Error('the test-only key did not parse');
  const codec = new AesGcmPayloadCodec(keys);
  const problems: string[] = [];
  for (const payload of collectPayloads(history.events ?? [], [])) {
    let inner = payload;
    if (isEncryptedPayload(payload)) {
      try {
        [inner = payload] = await codec.decode([payload]);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
        continue;
      }
    }
    if (metadataText(inner, METADATA_MESSAGE_TYPE_KEY) === PAYLOAD_STORE_REFERENCE_TYPE || (inner.externalPayloads?.length ?? 0) > 0) {
      problems.push(`a payload (${metadataText(inner, METADATA_ENCODING_KEY)}) is a payload-store reference, not inline`);
    }
  }
  return problems;
}
