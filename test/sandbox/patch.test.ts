import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import { asError, asUser, createEmployee, patchOp, scim, useSandbox } from './helpers';

describe('sandbox PATCH /Users/{id}', () => {
  const sandbox = useSandbox();
  const patch = async (id: string, body: unknown) => scim(sandbox(), 'PATCH', `/Users/${id}`, { body });

  it.each([
    ['Entra, boolean', { op: 'Replace', path: 'active', value: false }],
    ['Entra, string "False"', { op: 'Replace', path: 'active', value: 'False' }],
    ['lower-case op with string "false"', { op: 'replace', path: 'active', value: 'false' }],
    ['Okta pathless', { op: 'replace', value: { active: false } }],
    ['pathless with string "False"', { op: 'REPLACE', value: { active: 'False' } }],
  ])('deactivates with the %s shape, storing a real boolean', async (_shape, operation) => {
    const user = await createEmployee(sandbox(), 'leaver@example.com');
    const result = await patch(user.id, patchOp(operation));
    expect(result.status).toBe(200);
    expect(asUser(result).active).toBe(false);
    expect(sandbox().users()[0]?.active).toBe(false);
  });

  it('reactivates with the string "True"', async () => {
    const user = await createEmployee(sandbox(), 'back@example.com');
    await patch(user.id, patchOp({ op: 'replace', path: 'active', value: false }));
    expect(asUser(await patch(user.id, patchOp({ op: 'Replace', path: 'active', value: 'True' }))).active).toBe(true);
  });

  it('sets a Peakon attribute whose name has spaces through its URN path, validated like a write', async () => {
    const user = await createEmployee(sandbox(), 'dob@example.com');
    const ok = await patch(user.id, patchOp({ op: 'add', path: `${PEAKON_USER_SCHEMA}:Separation date`, value: '2025-01-31' }));
    expect(asUser(ok)[PEAKON_USER_SCHEMA]).toEqual({ 'Separation date': '2025-01-31' });
    const bad = await patch(user.id, patchOp({ op: 'add', path: `${PEAKON_USER_SCHEMA}:Separation date`, value: '31.01.2025' }));
    expect(bad.status).toBe(400);
    expect(asError(bad).detail).toMatch(/Separation date must be an ISO 8601 date/);
    expect(sandbox().users()[0]?.[PEAKON_USER_SCHEMA]).toEqual({ 'Separation date': '2025-01-31' });
  });

  it('rejects a Manager patch naming an unknown employee and accepts a known one', async () => {
    await createEmployee(sandbox(), 'boss@example.com');
    const user = await createEmployee(sandbox(), 'report@example.com');
    const unknown = await patch(user.id, patchOp({ op: 'replace', value: { [PEAKON_USER_SCHEMA]: { Manager: 'ghost@example.com' } } }));
    expect(unknown.status).toBe(400);
    const known = await patch(user.id, patchOp({ op: 'add', path: `${PEAKON_USER_SCHEMA}:Manager`, value: 'boss@example.com' }));
    expect(asUser(known)[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'boss@example.com' });
  });

  it('removes an attribute with op remove', async () => {
    const user = await createEmployee(sandbox(), 'rm@example.com', { externalId: 'hr-5', employeeNumber: 'E5' });
    const result = await patch(user.id, patchOp({ op: 'Remove', path: 'externalId' }));
    expect(asUser(result).externalId).toBeUndefined();
    expect(asUser(result)[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E5' });
  });

  it('keeps id and meta.created whatever the patch says, and moves meta.lastModified forward', async () => {
    const user = await createEmployee(sandbox(), 'meta@example.com');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const patched = asUser(await patch(user.id, patchOp({ op: 'replace', value: { id: 'hijack', displayName: 'M' } })));
    expect(patched.id).toBe(user.id);
    expect(patched.displayName).toBe('M');
    expect(patched.meta?.created).toBe(user.meta?.created);
    expect(Date.parse(patched.meta?.lastModified ?? '')).toBeGreaterThan(Date.parse(user.meta?.lastModified ?? ''));
  });

  it('answers 409 when a patch would take another employee\'s email', async () => {
    await createEmployee(sandbox(), 'taken@example.com');
    const user = await createEmployee(sandbox(), 'mine@example.com');
    const result = await patch(user.id, patchOp({ op: 'add', path: 'emails', value: [{ value: 'taken@example.com', type: 'other' }] }));
    expect(result.status).toBe(409);
    expect(asError(result).scimType).toBe('uniqueness');
  });

  it.each([
    ['an unknown op', patchOp({ op: 'merge', path: 'active', value: false }), /op must be add, replace or remove/],
    ['remove without a path', patchOp({ op: 'remove' }), /remove needs a path/],
    ['no PatchOp schema', { schemas: ['urn:x'], Operations: [{ op: 'replace', path: 'active', value: false }] }, /schemas must include/],
    ['no Operations', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }, /not a PatchOp request/],
  ])('answers 400 for %s', async (_case, body, detail) => {
    const user = await createEmployee(sandbox(), 'bad@example.com');
    const result = await patch(user.id, body);
    expect(result.status).toBe(400);
    expect(asError(result).detail).toMatch(detail);
  });

  // RFC 7644 §3.5.2.3: a replace whose value selection filter matches no record fails with 400 noTarget.
  it.each(['emails[type eq "home"].value', 'emails[type eq "home"]'])('answers 400 noTarget for a replace of %s when no email is of type home', async (path) => {
    const user = await createEmployee(sandbox(), 'only-work@example.com');
    const result = await patch(user.id, patchOp({ op: 'replace', path, value: path.endsWith('.value') ? 'private@example.net' : { value: 'private@example.net', type: 'home' } }));
    expect(result.status).toBe(400);
    expect(asError(result).scimType).toBe('noTarget');
    expect(sandbox().users()[0]?.emails).toEqual([{ value: 'only-work@example.com', type: 'work', primary: true }]);
  });

  it('still treats a replace of a plain attribute without a value as an add (RFC 7644 §3.5.2.3)', async () => {
    const user = await createEmployee(sandbox(), 'no-locale@example.com');
    const result = await patch(user.id, patchOp({ op: 'replace', path: 'locale', value: 'da' }));
    expect(result.status).toBe(200);
    expect(asUser(result).locale).toBe('da');
  });

  it.each([
    ['replace of active', { op: 'replace', path: 'active' }],
    ['replace of a Peakon attribute', { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Team` }],
    ['add of locale', { op: 'add', path: 'locale' }],
    ['pathless replace', { op: 'replace' }],
  ])('answers 400 invalidSyntax for an add or replace without a value (RFC 7644 §3.5.2.1): %s, the user unchanged', async (_what, operation) => {
    const user = await createEmployee(sandbox(), 'no-value@example.com');
    await patch(user.id, patchOp({ op: 'replace', path: 'active', value: false }));
    const before = sandbox().users()[0];
    const result = await patch(user.id, patchOp(operation));
    expect(result.status).toBe(400);
    expect(asError(result)).toMatchObject({ scimType: 'invalidSyntax', detail: expect.stringContaining('needs a value') });
    expect(sandbox().users()[0]).toEqual(before);
  });
});

describe('sandbox PATCH addressed to a whole extension', () => {
  const sandbox = useSandbox();
  const patch = async (id: string, body: unknown) => scim(sandbox(), 'PATCH', `/Users/${id}`, { body });

  it('adds sub-attributes when the path is the bare extension URN, without inventing a split-URN key', async () => {
    const user = await createEmployee(sandbox(), 'ext@example.com', { employeeNumber: 'E1' });
    const result = asUser(await patch(user.id, patchOp({ op: 'add', path: ENTERPRISE_USER_SCHEMA, value: { schemas: [ENTERPRISE_USER_SCHEMA], department: 'R&D' } })));
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E1', department: 'R&D' });
    expect(Object.keys(result).filter((key) => key.startsWith('urn:'))).toEqual([ENTERPRISE_USER_SCHEMA]);
  });

  it('removes the whole extension when the remove path is its URN', async () => {
    const user = await createEmployee(sandbox(), 'ext@example.com', { employeeNumber: 'E1', peakon: { Team: 'Core' } });
    const result = asUser(await patch(user.id, patchOp({ op: 'remove', path: PEAKON_USER_SCHEMA })));
    expect(result[PEAKON_USER_SCHEMA]).toBeUndefined();
    expect(result.schemas).not.toContain(PEAKON_USER_SCHEMA);
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E1' });
  });
});

describe('sandbox PATCH attribute names, case-insensitive (RFC 7643 §2.1)', () => {
  const sandbox = useSandbox();
  const patch = async (id: string, body: unknown) => scim(sandbox(), 'PATCH', `/Users/${id}`, { body });
  const urnKeys = (user: Record<string, unknown>) => Object.keys(user).filter((key) => key.startsWith('urn:'));

  it('"path": "Active" with "False" deactivates, adding no "Active" key', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com');
    const result = asUser(await patch(user.id, patchOp({ op: 'replace', path: 'Active', value: 'False' })));
    expect(result.active).toBe(false);
    expect(result).not.toHaveProperty('Active');
    expect(sandbox().users()[0]).not.toHaveProperty('Active');
  });

  it('spells core, URN-qualified and enterprise paths as the schema does', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com', { employeeNumber: 'E1' });
    const result = asUser(
      await patch(
        user.id,
        patchOp(
          { op: 'replace', path: 'Locale', value: 'da' },
          { op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:User:TimeZone', value: 'Europe/Copenhagen' },
          { op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:Department`, value: 'R&D' },
          { op: 'replace', path: 'Name.GivenName', value: 'Casey' },
        ),
      ),
    );
    expect(result.locale).toBe('da');
    expect(result.timezone).toBe('Europe/Copenhagen');
    expect(result.name?.givenName).toBe('Casey');
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E1', department: 'R&D' });
    for (const junk of ['Locale', 'TimeZone', 'Name']) expect(result).not.toHaveProperty(junk);
  });

  it('spells an upper-cased extension URN and its attribute as the schema does', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com', { employeeNumber: 'E1' });
    const path = `${ENTERPRISE_USER_SCHEMA.toUpperCase().replace('2.0:USER', '2.0:User')}:EMPLOYEENUMBER`;
    const result = asUser(await patch(user.id, patchOp({ op: 'replace', path, value: 'E2' })));
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E2' });
    expect(urnKeys(result)).toEqual([ENTERPRISE_USER_SCHEMA]);
  });

  it('spells the attribute names of a value filter and of a sub-attribute as the schema does', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com');
    await patch(user.id, patchOp({ op: 'add', path: 'emails', value: [{ value: 'old@private.com', type: 'home' }] }));
    const result = asUser(await patch(user.id, patchOp({ op: 'replace', path: 'Emails[Type eq "home"].Value', value: 'new@private.com' })));
    expect(result.emails?.map((email) => email.value)).toEqual(['case@example.com', 'new@private.com']);
    expect(result).not.toHaveProperty('Emails');
  });

  it('spells the keys of a pathless value and of a complex attribute\'s value as the schema does', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com');
    const result = asUser(
      await patch(
        user.id,
        patchOp(
          { op: 'replace', value: { Active: 'False', DisplayName: 'C', [ENTERPRISE_USER_SCHEMA]: { Department: 'Ops' }, [PEAKON_USER_SCHEMA]: { team: 'Core' } } },
          { op: 'replace', path: 'name', value: { GivenName: 'Casey', FamilyName: 'Tester' } },
        ),
      ),
    );
    expect(result.active).toBe(false);
    expect(result.displayName).toBe('C');
    expect(result.name).toEqual({ givenName: 'Casey', familyName: 'Tester' });
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Ops' });
    expect(result[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Core' });
    for (const junk of ['Active', 'DisplayName']) expect(result).not.toHaveProperty(junk);
  });

  it('matches a Peakon attribute name case-insensitively against the tenant schema, spaces kept', async () => {
    const user = await createEmployee(sandbox(), 'case@example.com', { peakon: { Team: 'Core' } });
    const set = asUser(await patch(user.id, patchOp({ op: 'add', path: `${PEAKON_USER_SCHEMA}:separation DATE`, value: '2025-01-31' })));
    expect(set[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Core', 'Separation date': '2025-01-31' });
    const removed = asUser(await patch(user.id, patchOp({ op: 'remove', path: `${PEAKON_USER_SCHEMA}:team` })));
    expect(removed[PEAKON_USER_SCHEMA]).toEqual({ 'Separation date': '2025-01-31' });
  });
});

describe('sandbox PATCH naming a Peakon attribute the tenant does not define', () => {
  const sandbox = useSandbox();
  const patch = async (id: string, body: unknown) => scim(sandbox(), 'PATCH', `/Users/${id}`, { body });

  it.each(['remove', 'replace', 'add'])('answers 400 for %s, with the message a write of it gets', async (op) => {
    const user = await createEmployee(sandbox(), 'unknown@example.com', { peakon: { Team: 'Core' } });
    const result = await patch(user.id, patchOp({ op, path: `${PEAKON_USER_SCHEMA}:Business Unit`, ...(op === 'remove' ? {} : { value: 'Sales' }) }));
    expect(result.status).toBe(400);
    expect(asError(result).scimType).toBe('invalidValue');
    expect(asError(result).detail).toMatch(/:Business Unit is not an attribute of this tenant \(known: "Gender", "Team", "Manager"/);
    expect(sandbox().users()[0]?.[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Core' });
  });
});
