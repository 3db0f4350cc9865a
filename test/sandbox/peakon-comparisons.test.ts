import { ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA } from '../../scim/resources';
import { asError, createEmployee, employee, scim, useSandbox } from './helpers';

/** The sandbox compares and counts as Peakon does, not as the connector's own mapping does. */
describe('sandbox comparisons like Peakon', () => {
  const sandbox = useSandbox();

  it('an IDNA respelling of the email is a change of email: with a new employee number in one write, refused (400)', async () => {
    // One mailbox to IDNA, two addresses to Peakon, which compares emails only case-insensitively.
    const unicode = 'anna@exämple.com';
    const ascii = 'anna@xn--exmple-cua.com';
    const anna = await createEmployee(sandbox(), unicode, { employeeNumber: 'E-1' });
    const both = await scim(sandbox(), 'PATCH', `/Users/${anna.id}`, {
      body: {
        schemas: [PATCH_OP_SCHEMA],
        Operations: [
          { op: 'replace', path: 'userName', value: ascii },
          { op: 'replace', path: 'emails', value: [{ value: ascii, type: 'work', primary: true }] },
          { op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`, value: 'E-2' },
        ],
      },
    });
    expect(both.status).toBe(400);
    expect(asError(both).detail).toMatch(/userName and employeeNumber cannot change in one request/);
    // An NFD spelling of the local part is another email to Peakon too.
    const nfc = await createEmployee(sandbox(), 'zoë@example.com', { employeeNumber: 'E-3' });
    const nfd = 'zoe\u0308@example.com';
    expect((await scim(sandbox(), 'PUT', `/Users/${nfc.id}`, { body: employee(nfd, { employeeNumber: 'E-4' }) })).status).toBe(400);
    // Letter case alone is no change: the number may change with it.
    expect((await scim(sandbox(), 'PUT', `/Users/${anna.id}`, { body: employee('ANNA@EXÄMPLE.COM', { employeeNumber: 'E-2' }) })).status).toBe(200);
    // One at a time, both go through.
    expect((await scim(sandbox(), 'PUT', `/Users/${anna.id}`, { body: employee(ascii, { employeeNumber: 'E-2' }) })).status).toBe(200);
  });

  it('counts an option\'s length in characters, as Peakon and the mapping check do, not in UTF-16 units', async () => {
    const astral = '😀'; // one character, two UTF-16 units
    const twoHundred = astral.repeat(200);
    expect(twoHundred.length).toBe(400);
    const accepted = await scim(sandbox(), 'POST', '/Users', { body: employee('emoji@example.com', { peakon: { Team: twoHundred } }) });
    expect(accepted.status).toBe(201);
    const tooLong = await scim(sandbox(), 'POST', '/Users', { body: employee('emoji2@example.com', { peakon: { Team: astral.repeat(257) } }) });
    expect(tooLong.status).toBe(400);
    expect(asError(tooLong).detail).toMatch(/:Team must be at most 256 characters, got 257$/);
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee('emoji3@example.com', { peakon: { Team: astral.repeat(256) } }) })).status).toBe(201);
  });
});
