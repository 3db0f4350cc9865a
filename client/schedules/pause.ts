import type { Client } from '@temporalio/client';
import { describeSyncScheduleRaw } from './ownership';

export type PauseChange = 'paused' | 'unpaused';

/** What the note says when nobody gave one: replaced at the next change, unlike an operator's own note. */
function defaultNote(change: PauseChange): string {
  return `${change} with peakon-sync schedule ${change === 'paused' ? 'pause' : 'unpause'}`;
}

/**
 * The schedule's note after a pause or unpause. Temporal replaces the note on both (and the SDK writes its own text when
 * given none), so the note an operator left — why it was paused, who owns it — was lost at the next state change.
 * Without a new note the earlier one stays. A new note, of a pause or an unpause, is appended to it (`<note>; paused:
 * <why>`), so a standing note (who owns the schedule) survives a pause, and the reason for the pause stays readable
 * after the schedule runs again.
 */
export function noteAfter(change: PauseChange, previousNote: string | undefined, givenNote: string | undefined): string {
  const trimmed = previousNote?.trim() ?? '';
  const previous = trimmed === defaultNote('paused') || trimmed === defaultNote('unpaused') ? '' : trimmed;
  const given = givenNote?.trim() ?? '';
  if (given === '') return previous !== '' ? previous : defaultNote(change);
  if (previous === '') return given;
  return `${previous}; ${change}: ${given}`;
}

/**
 * Pauses or unpauses a schedule, keeping its note (see {@link noteAfter}); returns the note it now shows.
 *
 * The note is read through the raw describeSchedule, which decodes no payload (as `schedule trigger` does): the SDK's
 * describe decodes the memo and the stored config through the codec, so a schedule under a key this CLI no longer
 * holds, or whose offloaded config has expired from the payload store, could not be paused, exactly when an operator
 * needs to stop it. The note and the pause state are plain fields. A schedule of another tool is refused.
 */
export async function setSchedulePaused(client: Client, scheduleId: string, change: PauseChange, givenNote?: string): Promise<string> {
  const handle = client.schedule.getHandle(scheduleId);
  // Refuses another tool's schedule in a shared namespace (ownership.ts).
  const raw = await describeSyncScheduleRaw(client, scheduleId);
  const previousNote = raw.schedule?.state?.notes ?? undefined;
  const note = noteAfter(change, previousNote, givenNote);
  if (change === 'paused') await handle.pause(note);
  else await handle.unpause(note);
  return note;
}
