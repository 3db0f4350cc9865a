import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUserWrite } from '../../scim/resources';
import { asError, asUser, createEmployee, employee, scim, useSandbox } from './helpers';

const PEAKON = PEAKON_USER_SCHEMA;

describe('sandbox validation like Peakon', () => {
  const sandbox = useSandbox();

  async function expectRejected(body: unknown, status: number, scimType: string, detail: RegExp): Promise<void> {
    const storedBefore = sandbox().users().length;
    const result = await scim(sandbox(), 'POST', '/Users', { body });
    expect(result.status).toBe(status);
    const error = asError(result);
    expect(error).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), scimType });
    expect(error.detail).toMatch(detail);
    expect(sandbox().users()).toHaveLength(storedBefore);
  }

  const without = (field: keyof ScimUserWrite): Record<string, unknown> => {
    const { [field]: _dropped, ...rest } = employee('someone@example.com');
    return rest;
  };

  it.each(['schemas', 'userName', 'emails', 'name'] as const)('rejects a create without %s (400 invalidValue naming it)', async (field) => {
    await expectRejected(without(field), 400, 'invalidValue', new RegExp(`^${field} is required`));
  });

  it('rejects schemas that do not list the core User schema', async () => {
    await expectRejected({ ...employee('s@example.com'), schemas: [PEAKON] }, 400, 'invalidValue', /schemas must include/);
  });

  it('rejects a userName that is not an email', async () => {
    await expectRejected({ ...employee('real@example.com'), userName: 'not-an-email' }, 400, 'invalidValue', /userName must be an email/);
  });

  it('rejects a userName that differs from the work email', async () => {
    await expectRejected({ ...employee('work@example.com'), userName: 'other@example.com' }, 400, 'invalidValue', /userName "other@example.com" must equal the work email "work@example.com"/);
  });

  it('takes the work-typed entry as the work email when there are several', async () => {
    const body = { ...employee('work@example.com'), emails: [{ value: 'home@example.org', type: 'home', primary: true }, { value: 'work@example.com', type: 'work' }] };
    expect((await scim(sandbox(), 'POST', '/Users', { body })).status).toBe(201);
  });

  it('rejects an empty emails list and an email value that is not an address', async () => {
    await expectRejected({ ...employee('e@example.com'), emails: [] }, 400, 'invalidValue', /emails must contain the work email/);
    await expectRejected({ ...employee('e@example.com'), emails: [{ value: 'e@example.com', type: 'work' }, { value: 'nope', type: 'home' }] }, 400, 'invalidValue', /emails\[1\]\.value must be an email/);
  });

  it('rejects a name without givenName or without familyName', async () => {
    await expectRejected({ ...employee('n@example.com'), name: { familyName: 'Tester' } }, 400, 'invalidValue', /^name\.givenName is required/);
    await expectRejected({ ...employee('n@example.com'), name: { givenName: 'Nora', familyName: ' ' } }, 400, 'invalidValue', /^name\.familyName is required/);
  });

  it('rejects an attribute of the wrong JSON type, naming its path', async () => {
    await expectRejected({ ...employee('t@example.com'), active: 'yes' }, 400, 'invalidValue', /^active:/);
  });

  describe('uniqueness', () => {
    it('answers 409 uniqueness for a userName already in use, whatever its case', async () => {
      await createEmployee(sandbox(), 'dup@example.com');
      await expectRejected(employee('DUP@Example.com'), 409, 'uniqueness', /email "dup@example.com" is already used/);
    });

    it('answers 409 when a secondary email is another employee\'s work email', async () => {
      await createEmployee(sandbox(), 'taken@example.com');
      const body = { ...employee('fresh@example.com'), emails: [{ value: 'fresh@example.com', type: 'work' }, { value: 'taken@example.com', type: 'other' }] };
      await expectRejected(body, 409, 'uniqueness', /taken@example.com/);
    });

    it('answers 409 uniqueness for an employeeNumber already in use', async () => {
      await createEmployee(sandbox(), 'one@example.com', { employeeNumber: 'E-1' });
      await expectRejected(employee('two@example.com', { employeeNumber: 'E-1' }), 409, 'uniqueness', /employeeNumber "E-1" is already used/);
    });

    it('counts an empty employeeNumber as no number: two users may both have "", and "" → a number is no change of number', async () => {
      const withEmptyNumber = (email: string): ScimUserWrite => {
        const body = employee(email);
        return { ...body, schemas: [...body.schemas, ENTERPRISE_USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '' } };
      };
      const first = await scim(sandbox(), 'POST', '/Users', { body: withEmptyNumber('one@example.com') });
      expect(first.status).toBe(201);
      const second = await scim(sandbox(), 'POST', '/Users', { body: withEmptyNumber('two@example.com') });
      expect(second.status).toBe(201);
      const renamed = await scim(sandbox(), 'PUT', `/Users/${asUser(first).id}`, { body: employee('renamed@example.com', { employeeNumber: 'E-5' }) });
      expect(renamed.status).toBe(200);
      expect(sandbox().users()).toHaveLength(2);
    });

    it('lets a user keep its own email and employee number on update, but not take another\'s', async () => {
      const one = await createEmployee(sandbox(), 'one@example.com', { employeeNumber: 'E-1' });
      await createEmployee(sandbox(), 'two@example.com', { employeeNumber: 'E-2' });
      expect((await scim(sandbox(), 'PUT', `/Users/${one.id}`, { body: employee('one@example.com', { employeeNumber: 'E-1' }) })).status).toBe(200);
      const clash = await scim(sandbox(), 'PUT', `/Users/${one.id}`, { body: employee('one@example.com', { employeeNumber: 'E-2' }) });
      expect(clash.status).toBe(409);
      expect(asError(clash).scimType).toBe('uniqueness');
      expect(sandbox().users().find((user) => user.id === one.id)?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe('E-1');
    });
  });

  it('changes a user\'s email and employee number one at a time, never both in one write (400), as Peakon requires', async () => {
    const one = await createEmployee(sandbox(), 'one@example.com', { employeeNumber: 'E-1' });
    const both = await scim(sandbox(), 'PUT', `/Users/${one.id}`, { body: employee('renamed@example.com', { employeeNumber: 'E-9' }) });
    expect(both.status).toBe(400);
    expect(asError(both).detail).toMatch(/userName and employeeNumber cannot change in one request/);
    const patchBoth = await scim(sandbox(), 'PATCH', `/Users/${one.id}`, {
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: 'renamed@example.com' }, { op: 'replace', path: 'emails', value: [{ value: 'renamed@example.com', type: 'work', primary: true }] }, { op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`, value: 'E-9' }] },
    });
    expect(patchBoth.status).toBe(400);
    expect((await scim(sandbox(), 'PUT', `/Users/${one.id}`, { body: employee('renamed@example.com', { employeeNumber: 'E-1' }) })).status).toBe(200);
    expect((await scim(sandbox(), 'PUT', `/Users/${one.id}`, { body: employee('renamed@example.com', { employeeNumber: 'E-9' }) })).status).toBe(200);
    expect(sandbox().users().find((user) => user.id === one.id)).toMatchObject({ userName: 'renamed@example.com', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-9' } });
  });

  describe('Peakon extension attributes against the tenant schema', () => {
    it('accepts valid values of every type and stores them under their exact names (Manager served as the employee\'s userName)', async () => {
      await createEmployee(sandbox(), 'boss@example.com');
      const peakon = { Gender: 'Female', Team: 'Core', Manager: 'BOSS@example.com', 'Date of Birth': '1990-02-28', 'Separation date': '2030-12-31' };
      const created = await createEmployee(sandbox(), 'ok@example.com', { peakon });
      expect(created[PEAKON]).toEqual({ ...peakon, Manager: 'boss@example.com' });
    });

    it('rejects an attribute the tenant does not define', async () => {
      await expectRejected(employee('u@example.com', { peakon: { 'Business Unit': 'Sales' } }), 400, 'invalidValue', /:Business Unit is not an attribute of this tenant/);
    });

    it('matches attribute names exactly, spaces and case included', async () => {
      await expectRejected(employee('u@example.com', { peakon: { 'date of birth': '1990-01-01' } }), 400, 'invalidValue', /date of birth is not an attribute/);
    });

    it('rejects an option longer than 256 characters and accepts exactly 256', async () => {
      await expectRejected(employee('o@example.com', { peakon: { Team: 'x'.repeat(257) } }), 400, 'invalidValue', /:Team must be at most 256 characters, got 257/);
      expect((await scim(sandbox(), 'POST', '/Users', { body: employee('o@example.com', { peakon: { Team: 'x'.repeat(256) } }) })).status).toBe(201);
    });

    it('rejects a non-string option', async () => {
      await expectRejected(employee('o@example.com', { peakon: { Team: 7 } }), 400, 'invalidValue', /:Team is an option attribute and must be a string/);
    });

    it.each(['28/02/1990', '1990-02-30', '1990-2-3', '1990-02-28T00:00:00Z', ''])('rejects the date %p (not YYYY-MM-DD or not a real day)', async (value) => {
      await expectRejected(employee('d@example.com', { peakon: { Tenure: value } }), 400, 'invalidValue', /:Tenure must be an ISO 8601 date \(YYYY-MM-DD\)/);
    });

    it('rejects a Manager that is not the email of an existing employee', async () => {
      await expectRejected(employee('m@example.com', { peakon: { Manager: 'ghost@example.com' } }), 400, 'invalidValue', /:Manager must be the email of an existing employee; no employee "ghost@example.com" exists/);
    });

    it('rejects a Manager given as a Peakon id unless acceptPeakonIdAsManager is set', async () => {
      const boss = await createEmployee(sandbox(), 'boss@example.com');
      await expectRejected(employee('m@example.com', { peakon: { Manager: boss.id } }), 400, 'invalidValue', /Manager must be the email/);
    });

    it('clears an attribute given as null', async () => {
      const created = await createEmployee(sandbox(), 'c@example.com', { peakon: { Team: 'Core', Gender: 'Male' } });
      const cleared = await scim(sandbox(), 'PUT', `/Users/${created.id}`, { body: employee('c@example.com', { peakon: { Team: null, Gender: 'Male' } }) });
      expect(asUser(cleared)[PEAKON]).toEqual({ Gender: 'Male' });
    });

    it('deactivates someone whose Manager has since been deleted (the reference is gone, nothing is re-checked)', async () => {
      const boss = await createEmployee(sandbox(), 'boss@example.com');
      const report = await createEmployee(sandbox(), 'report@example.com', { peakon: { Manager: 'boss@example.com' } });
      await scim(sandbox(), 'DELETE', `/Users/${boss.id}`);
      const patched = await scim(sandbox(), 'PATCH', `/Users/${report.id}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } });
      expect(patched.status).toBe(200);
    });
  });
});

describe('sandbox with acceptPeakonIdAsManager', () => {
  const sandbox = useSandbox({ acceptPeakonIdAsManager: true });

  it('accepts an existing employee\'s id as Manager, and still rejects an unknown id', async () => {
    const boss = await createEmployee(sandbox(), 'boss@example.com');
    const byId = await scim(sandbox(), 'POST', '/Users', { body: employee('a@example.com', { peakon: { Manager: boss.id } }) });
    expect(byId.status).toBe(201);
    expect(asUser(byId)[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'boss@example.com' });
    const unknown = await scim(sandbox(), 'POST', '/Users', { body: employee('b@example.com', { peakon: { Manager: 'no-such-id' } }) });
    expect(unknown.status).toBe(400);
    expect(asError(unknown).detail).toMatch(/must be the email or Peakon id of an existing employee/);
  });
});

describe('sandbox with a number attribute in the tenant schema', () => {
  const sandbox = useSandbox({ schema: [{ name: 'Level', type: 'number' }] });

  it.each([1.5, '3'])('rejects %p for a number attribute (integers only)', async (value) => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: employee('n@example.com', { peakon: { Level: value } }) });
    expect(result.status).toBe(400);
    expect(asError(result).detail).toMatch(/:Level must be an integer/);
  });

  it('accepts an integer for a number attribute', async () => {
    expect(asUser(await scim(sandbox(), 'POST', '/Users', { body: employee('n@example.com', { peakon: { Level: 3 } }) }))[PEAKON]).toEqual({ Level: 3 });
  });

  it('rejects the default schema\'s attributes when the tenant does not define them', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: employee('n@example.com', { peakon: { Team: 'Core' } }) });
    expect(result.status).toBe(400);
  });
});
