// README, the ownership ledger: "In a folder each write is durable (the file and the folder fsynced around an atomic
// rename) and keeps the version it replaced as `<tenant>.ledger.prev`". A power loss cannot be produced here, so this
// test spies on the file system calls the folder store makes (fs/promises `open`, `rename`, and each FileHandle's
// `writeFile` and `sync`) and checks their order: the new bytes written to a temporary file and fsynced before
// it is renamed over the ledger, and the folder fsynced after the rename; the same for the `.prev` copy, first.
import { mkdtempSync, readFileSync } from 'node:fs';
// The module object itself (a default import), which the store's calls go through: a namespace import is a copy.
import fsPromises, { type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';

describe('ownership ledger in a folder: durable writes', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('fsyncs the temporary file before the atomic rename and the folder after it, for .prev first and then the ledger; .prev keeps the replaced version', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-durable-'));
    const folder = path.join(directory, 'ledger');
    const file = path.join(folder, 'acme.ledger');
    const store = ledgerStoreFor({ kind: 'local', directory }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() });
    await store.record('acme', { owned: ['u1'], deleted: [] });
    const first = readFileSync(file);

    // Names the paths relative to the ledger folder, a temporary file's random part as `*`: `acme.ledger.*.tmp`.
    const name = (target: string) => (path.resolve(target) === folder ? '<folder>' : path.relative(folder, target).replace(/\.[0-9a-f]{16}\.tmp$/, '.*.tmp'));
    const events: string[] = [];
    const openedAs = new Map<number, string>();
    // FileHandle is not exported: its prototype is taken from a handle of this process.
    const probe = await fsPromises.open(file, 'r');
    const handlePrototype = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const realOpen = fsPromises.open;
    jest.spyOn(fsPromises, 'open').mockImplementation(async (target, ...rest) => {
      const handle = await realOpen(target, ...rest);
      openedAs.set(handle.fd, name(String(target)));
      events.push(`open ${name(String(target))} ${String(rest[0] ?? 'r')}`);
      return handle;
    });
    const onHandle = (method: 'writeFile' | 'sync') => {
      const real = handlePrototype[method] as (this: FileHandle, ...args: unknown[]) => Promise<void>;
      jest.spyOn(handlePrototype, method).mockImplementation(function (this: FileHandle, ...args: unknown[]) {
        events.push(`${method} ${openedAs.get(this.fd) ?? '?'}`);
        return real.apply(this, args);
      } as never);
    };
    onHandle('writeFile');
    onHandle('sync');
    const realRename = fsPromises.rename;
    jest.spyOn(fsPromises, 'rename').mockImplementation(async (from, to) => {
      events.push(`rename ${name(String(from))} -> ${name(String(to))}`);
      return realRename(from, to);
    });

    await store.record('acme', { owned: ['u2'], deleted: [] });

    expect(events).toEqual([
      // The version being replaced, kept as .prev: written, fsynced, renamed into place, the folder fsynced.
      'open acme.ledger.prev.*.tmp wx',
      'writeFile acme.ledger.prev.*.tmp',
      'sync acme.ledger.prev.*.tmp',
      'rename acme.ledger.prev.*.tmp -> acme.ledger.prev',
      'open <folder> r',
      'sync <folder>',
      // Then the new ledger, the same way.
      'open acme.ledger.*.tmp wx',
      'writeFile acme.ledger.*.tmp',
      'sync acme.ledger.*.tmp',
      'rename acme.ledger.*.tmp -> acme.ledger',
      'open <folder> r',
      'sync <folder>',
    ]);
    // .prev holds exactly the bytes the write replaced; the ledger holds the new state.
    expect(readFileSync(`${file}.prev`).equals(first)).toBe(true);
    expect(readFileSync(file).equals(first)).toBe(false);
    expect((await store.read('acme')).owned).toEqual(['u1', 'u2']);
  });
});
