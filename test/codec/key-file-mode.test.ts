import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey, readCodecServerToken, readEncryptionKeys } from '../../codec/keys';
import { openTo } from '../../config/secret-file-mode';

/**
 * A key file its group or other users of the host can read lets them decrypt every HR payload in Temporal history:
 * the worker, the CLI and the codec server warn (on stderr outside an activity), naming the variable, the file, its
 * mode and the fix; they still use the key (Kubernetes mounts secrets 0644 by default). Never the key itself.
 */
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('the mode of the files PEAKON_SYNC_*_FILE variables name', () => {
  let folder: string;
  let stderr: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    folder = realpathSync(mkdtempSync(path.join(tmpdir(), 'key-file-mode-')));
    stderr = [];
    spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  });
  afterEach(() => {
    spy.mockRestore();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A file holding `content` with exactly `mode` (chmod after the write: the umask only ever narrows a create's mode). */
  function file(name: string, content: string, mode: number): string {
    const filePath = path.join(folder, name);
    writeFileSync(filePath, content);
    chmodSync(filePath, mode);
    return filePath;
  }

  it('warns once about a key file others can read (0644), naming the variable, file, mode and fix, never the key; the key is still used', () => {
    const key = generateEncryptionKey();
    const keyFile = file('peakon-sync.key', `${key}\n`, 0o644);
    const env = { PEAKON_SYNC_ENCRYPTION_KEY_FILE: keyFile };
    expect(readEncryptionKeys(env)?.current.id).toMatch(/^[0-9a-f]{16}$/);
    // Read again (the worker reads it at start and for each employee-ref key): still one warning.
    readEncryptionKeys(env);
    expect(stderr).toEqual([
      `WARNING: PEAKON_SYNC_ENCRYPTION_KEY_FILE: ${keyFile} has mode 0644, open to other users of the host (only its owner should read a secret); run \`chmod 600 ${keyFile}\` (in Kubernetes, set the secret volume's defaultMode: 0400). Used anyway\n`,
    ]);
    expect(stderr.join('')).not.toContain(key);
  });

  it('says nothing about a key file only its owner, or also its own group, can read (0600, 0400, 0640, 0440)', () => {
    // The file's group is this process's own (a Kubernetes fsGroup makes a secret 0440): no one else is in it here.
    for (const mode of [0o600, 0o400, 0o640, 0o440]) {
      readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: file(`own-${mode.toString(8)}.key`, generateEncryptionKey(), mode) });
    }
    expect(stderr).toEqual([]);
  });

  it('names the old-keys file and the codec server token file too, and whom the mode opens them to', () => {
    const oldKeys = file('old.keys', `${generateEncryptionKey()}\n`, 0o664);
    const token = file('codec-token', 'codec-s3cr3t-token\n', 0o604);
    readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey(), PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE: oldKeys });
    expect(readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: token })).toBe('codec-s3cr3t-token');
    expect(stderr).toEqual([
      expect.stringMatching(new RegExp(`^WARNING: PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE: ${escaped(oldKeys)} has mode 0664, open to other users of the host \\(`)),
      expect.stringMatching(new RegExp(`^WARNING: PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: ${escaped(token)} has mode 0604, open to other users of the host \\(.*chmod 600 ${escaped(token)}`)),
    ]);
    expect(stderr.join('')).not.toContain('s3cr3t');
  });

  it('counts group access only for a group this process is not in (a pod fsGroup is its own)', () => {
    expect(openTo(0o640, 4242, [1000, 1001])).toBe('its group');
    expect(openTo(0o640, 1001, [1000, 1001])).toBeUndefined();
    expect(openTo(0o440, 1000, [1000])).toBeUndefined();
    expect(openTo(0o644, 1000, [1000])).toBe('other users of the host');
    expect(openTo(0o644, 4242, [1000])).toBe('its group and other users of the host');
    expect(openTo(0o600, 4242, [1000])).toBeUndefined();
  });
});
