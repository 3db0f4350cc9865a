import type { ScimUser } from '../../scim/resources';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/urns';
import { composeUpdate, withoutReferences } from '../../sync/payloads';
import type { DesiredState } from '../../sync/types';

/**
 * Phase 2 retries a write without its employee references when Peakon rejects one (its target does not exist). With
 * `updateMethod: put` the retry is a full replace, so what it leaves out Peakon may clear (RFC 7644 §3.5.1).
 */
describe('a write without its rejected references', () => {
  const current: ScimUser = {
    id: 'u-1',
    externalId: 'E1',
    schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA],
    userName: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
    [PEAKON_USER_SCHEMA]: { Manager: 'old.boss@example.com', Mentor: 'mentor@example.com', Team: 'Old team' },
  } as ScimUser;
  const desired: DesiredState = {
    user: { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'ada@example.com', name: { givenName: 'Ada', familyName: 'Lovelace' }, active: true, [PEAKON_USER_SCHEMA]: { Team: 'New team' } },
    references: { Manager: 'new.boss@example.com', Mentor: 'mentor@example.com' },
    createOnly: [],
    sourceId: 'E1',
  };

  it('PUT: keeps the manager Peakon has instead of clearing it, and still writes the other changes', () => {
    const { write, changes, references } = composeUpdate(desired, current, 'put');
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'old.boss@example.com', Mentor: 'mentor@example.com', Team: 'New team' });
  });

  it('PUT of a user created this run (no reference before): the reference is left out', () => {
    const reduced = withoutReferences({ method: 'put', body: { ...desired.user, [PEAKON_USER_SCHEMA]: { Team: 'New team', Manager: 'new.boss@example.com' } } }, ['Manager'], [{ field: 'Manager', from: null, to: 'new.boss@example.com' }]);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ Team: 'New team' });
  });

  it('PATCH: leaves the reference operations out, keeps the rest', () => {
    const { write, changes, references } = composeUpdate(desired, current, 'patch');
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'patch') throw new Error(`expected a PATCH, got ${reduced.method}`);
    expect(reduced.operations).toEqual([{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:Team`, value: 'New team' }]);
  });
});
