import { ENTERPRISE_USER_SCHEMA, type ScimUserAttributes } from '../../scim/resources';
import { UserStore } from '../../sandbox/store';

function user(email: string, employeeNumber?: string, extraEmail?: string): ScimUserAttributes {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    emails: [{ value: email, primary: true }, ...(extraEmail ? [{ value: extraEmail }] : [])],
    name: { givenName: 'A', familyName: 'B' },
    ...(employeeNumber !== undefined ? { [ENTERPRISE_USER_SCHEMA]: { employeeNumber } } : {}),
  } as ScimUserAttributes;
}

describe('the sandbox store finds users by email and employee number through its indexes', () => {
  it('follows creates, replaces and deletes', () => {
    const store = new UserStore((id) => `/Users/${id}`);
    const ada = store.create(user('Ada@Example.com', 'E1', 'ada.alias@example.com'));
    expect(store.findByEmail('ada@example.com')?.id).toBe(ada.id);
    expect(store.findByEmail('ADA.ALIAS@example.com')?.id).toBe(ada.id);
    expect(store.findByEmployeeNumber('E1')?.id).toBe(ada.id);

    // A replace that changes the email and the employee number moves the user in both indexes.
    store.replace(ada.id, user('ada.lovelace@example.com', 'E2'));
    expect(store.findByEmail('ada@example.com')).toBeUndefined();
    expect(store.findByEmail('ada.alias@example.com')).toBeUndefined();
    expect(store.findByEmployeeNumber('E1')).toBeUndefined();
    expect(store.findByEmail('ada.lovelace@example.com')?.id).toBe(ada.id);
    expect(store.findByEmployeeNumber('E2')?.id).toBe(ada.id);

    store.delete(ada.id);
    expect(store.findByEmail('ada.lovelace@example.com')).toBeUndefined();
    expect(store.findByEmployeeNumber('E2')).toBeUndefined();

    const bob = store.create(user('bob@example.com', 'E3'));
    store.clear();
    expect(store.findByEmail('bob@example.com')).toBeUndefined();
    expect(store.findByEmployeeNumber('E3')).toBeUndefined();
    expect(store.get(bob.id)).toBeUndefined();
  });

  it('answers the earliest created holder when a test seeded a duplicate past the uniqueness rules', () => {
    const store = new UserStore((id) => `/Users/${id}`);
    const first = store.create(user('dup@example.com', 'E9'));
    store.create(user('dup@example.com', 'E9'));
    expect(store.findByEmail('dup@example.com')?.id).toBe(first.id);
    expect(store.findByEmployeeNumber('E9')?.id).toBe(first.id);
  });

  it('returns copies: changing a found user changes nothing stored', () => {
    const store = new UserStore((id) => `/Users/${id}`);
    store.create(user('cy@example.com'));
    const found = store.findByEmail('cy@example.com');
    if (!found) throw new Error('not found');
    found.userName = 'changed@example.com';
    expect(store.findByEmail('cy@example.com')?.userName).toBe('cy@example.com');
  });
});

describe('the sandbox store cuts list pages', () => {
  it('counts every match and copies only the page', () => {
    const store = new UserStore((id) => `/Users/${id}`);
    for (let index = 0; index < 7; index += 1) store.create(user(`p${index}@example.com`, index % 2 === 0 ? 'even' : undefined));
    const even = (candidate: { [ENTERPRISE_USER_SCHEMA]?: { employeeNumber?: string } }) => candidate[ENTERPRISE_USER_SCHEMA]?.employeeNumber === 'even';
    expect(store.page(() => true, 2, 3)).toMatchObject({ total: 7, users: [{ userName: 'p2@example.com' }, { userName: 'p3@example.com' }, { userName: 'p4@example.com' }] });
    expect(store.page(even, 1, 10)).toMatchObject({ total: 4, users: [{ userName: 'p2@example.com' }, { userName: 'p4@example.com' }, { userName: 'p6@example.com' }] });
    expect(store.page(() => true, 7, 5)).toEqual({ total: 7, users: [] });
    const [first] = store.page(() => true, 0, 1).users;
    if (!first) throw new Error('no page');
    first.userName = 'changed@example.com';
    expect(store.page(() => true, 0, 1).users[0]?.userName).toBe('p0@example.com');
  });
});
