import { performance } from 'node:perf_hooks';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { RunningSandbox } from '../../sandbox';
import { UserStore } from '../../sandbox/store';
import { asList, employee, scim, useSandbox } from './helpers';

const MANAGER_PATH = `${PEAKON_USER_SCHEMA}:Manager`;

/** `count` people; the first `managers` have no Manager, everyone after reports to one of them (person i → manager i % managers). */
function seed(sandbox: RunningSandbox, count: number, managers: number): void {
  const email = (index: number) => `person${String(index).padStart(5, '0')}@example.com`;
  sandbox.seedUsers(
    Array.from({ length: count }, (_, index) =>
      employee(email(index), { externalId: `hr-${index}`, employeeNumber: `E${index}`, ...(index < managers ? {} : { peakon: { Manager: email(index % managers), Team: 'Core' } }) }),
    ),
  );
}

const list = async (sandbox: RunningSandbox, query: string) => asList(await scim(sandbox, 'GET', `/Users?${query}`));
const filtered = (filter: string, extra = '') => `filter=${encodeURIComponent(filter)}${extra}`;
const managerOf = (user: ScimUser | undefined) => user?.[PEAKON_USER_SCHEMA]?.Manager;

/**
 * Served copies (Manager resolved to the manager's current userName) are built only for the users placed on a page:
 * building one for every stored user on every list request made listing a 10,000-person tenant quadratic.
 */
describe('sandbox list pages build served copies only for the page', () => {
  const sandbox = useSandbox();

  it('builds one served copy per listed user, unfiltered and under a Peakon filter', async () => {
    seed(sandbox(), 1000, 10);
    const served = jest.spyOn(UserStore.prototype as unknown as { served: (user: ScimUser) => ScimUser }, 'served');
    try {
      const page = await list(sandbox(), 'startIndex=501&count=100');
      expect(page).toMatchObject({ totalResults: 1000, itemsPerPage: 100 });
      expect(served).toHaveBeenCalledTimes(100);
      served.mockClear();
      const one = await list(sandbox(), filtered('userName eq "PERSON00500@example.com"'));
      expect(one.totalResults).toBe(1);
      expect(served).toHaveBeenCalledTimes(1);
    } finally {
      served.mockRestore();
    }
  });
});

describe('sandbox list page contents at 10,000 users with a Manager', () => {
  const sandbox = useSandbox();

  it('serves resolved Managers and the right totals, and prints the time per page', async () => {
    seed(sandbox(), 10_000, 100);
    const timings: string[] = [];
    const timed = async (label: string, query: string) => {
      await list(sandbox(), query);
      const runs: number[] = [];
      let last;
      for (let run = 0; run < 5; run += 1) {
        const started = performance.now();
        last = await list(sandbox(), query);
        runs.push(performance.now() - started);
      }
      runs.sort((a, b) => a - b);
      timings.push(`${label}: median ${runs[2]?.toFixed(1)} ms (min ${runs[0]?.toFixed(1)}, max ${runs[4]?.toFixed(1)})`);
      if (!last) throw new Error('no page');
      return last;
    };

    const middle = await timed('page startIndex=5001 count=100', 'startIndex=5001&count=100');
    expect(middle).toMatchObject({ totalResults: 10_000, startIndex: 5001, itemsPerPage: 100 });
    expect(middle.Resources.map((user) => user.userName)).toEqual(Array.from({ length: 100 }, (_, index) => `person${String(5000 + index).padStart(5, '0')}@example.com`));
    expect(middle.Resources.map(managerOf)).toEqual(Array.from({ length: 100 }, (_, index) => `person${String(index).padStart(5, '0')}@example.com`));
    const byUserName = await timed('filter userName eq', filtered('userName eq "Person09999@EXAMPLE.com"'));
    expect(byUserName.totalResults).toBe(1);
    expect(managerOf(byUserName.Resources[0])).toBe('person00099@example.com');
    await timed('filter employeeNumber eq', filtered('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E9999"'));
    console.log(`sandbox list timings at 10,000 users:\n  ${timings.join('\n  ')}`);

    // A renamed manager shows on the page; a deleted one leaves the reports without a Manager.
    const [managerZero, managerOne] = sandbox().users();
    if (!managerZero || !managerOne) throw new Error('no managers');
    expect((await scim(sandbox(), 'PUT', `/Users/${managerZero.id}`, { body: employee('boss.zero@example.com', { externalId: 'hr-0', employeeNumber: 'E0' }) })).status).toBe(200);
    expect((await scim(sandbox(), 'DELETE', `/Users/${managerOne.id}`)).status).toBe(204);
    const after = await list(sandbox(), 'startIndex=5000&count=3');
    expect(after.totalResults).toBe(9_999);
    expect(after.Resources.map((user) => [user.userName, user[PEAKON_USER_SCHEMA]])).toEqual([
      ['person05000@example.com', { Manager: 'boss.zero@example.com', Team: 'Core' }],
      ['person05001@example.com', { Team: 'Core' }],
      ['person05002@example.com', { Manager: 'person00002@example.com', Team: 'Core' }],
    ]);
    const filteredAfter = await list(sandbox(), filtered('externalId eq "hr-5100"'));
    expect(filteredAfter).toMatchObject({ totalResults: 1, Resources: [{ userName: 'person05100@example.com', [PEAKON_USER_SCHEMA]: { Manager: 'boss.zero@example.com' } }] });
  });
});

describe('sandbox anyFilter on the served Manager (NOT Peakon behaviour)', () => {
  const sandbox = useSandbox({ anyFilter: true });

  it('filters on the manager\'s current userName, and on schemas once a reference is dead', async () => {
    seed(sandbox(), 300, 3);
    const [managerZero, managerOne] = sandbox().users();
    if (!managerZero || !managerOne) throw new Error('no managers');
    const byManager = async (email: string) => (await list(sandbox(), filtered(`${MANAGER_PATH} eq "${email}"`, '&count=2'))).totalResults;
    expect(await byManager('person00000@example.com')).toBe(99);
    await scim(sandbox(), 'PUT', `/Users/${managerZero.id}`, { body: employee('boss.zero@example.com', { externalId: 'hr-0', employeeNumber: 'E0' }) });
    expect(await byManager('person00000@example.com')).toBe(0);
    const renamed = await list(sandbox(), filtered(`${MANAGER_PATH} eq "boss.zero@example.com"`, '&startIndex=2&count=2'));
    expect(renamed).toMatchObject({ totalResults: 99, itemsPerPage: 2, Resources: [{ userName: 'person00006@example.com' }, { userName: 'person00009@example.com' }] });
    expect(renamed.Resources.map(managerOf)).toEqual(['boss.zero@example.com', 'boss.zero@example.com']);

    // Reports of a deleted manager are served without Manager; one whose only Peakon attribute it was loses the URN too.
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee('solo@example.com', { peakon: { Manager: 'person00001@example.com' } }) })).status).toBe(201);
    const peakonSchema = filtered(`schemas eq "${PEAKON_USER_SCHEMA}"`);
    expect((await list(sandbox(), peakonSchema)).totalResults).toBe(298);
    await scim(sandbox(), 'DELETE', `/Users/${managerOne.id}`);
    expect(await byManager('person00001@example.com')).toBe(0);
    expect((await list(sandbox(), filtered(`${MANAGER_PATH} pr`))).totalResults).toBe(99 + 99);
    expect((await list(sandbox(), filtered(`not (${MANAGER_PATH} pr) and ${PEAKON_USER_SCHEMA}:Team eq "Core"`))).totalResults).toBe(99);
    expect((await list(sandbox(), peakonSchema)).totalResults).toBe(297);
  });
});
