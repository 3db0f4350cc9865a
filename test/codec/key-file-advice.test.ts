import { readFileSync } from 'node:fs';
import path from 'node:path';
import { missingEncryptionKeyError } from '../../codec/keys';

/**
 * The refusal without a key tells the operator how to make one. The command it gives must not leave the key in the
 * working directory (a clone: committed by `git add`, copied into an image) nor readable by others until a chmod.
 */
const ROOT = path.resolve(__dirname, '../..');

describe('the command the missing-key refusal suggests', () => {
  const message = missingEncryptionKeyError().message;
  const command = /`([^`]*openssl rand[^`]*)`/.exec(message)?.[1] ?? '';

  it('creates the key 0600 from the start, in the home folder, not in the working directory', () => {
    expect(command).toMatch(/^\(umask 077 && openssl rand -base64 32 > (~|\$HOME)\/[^ /]+\)$/);
    const target = /> (\S+)\)$/.exec(command)?.[1] ?? '';
    expect(target.startsWith('~/') || target.startsWith('$HOME/')).toBe(true);
    expect(message).toContain(`PEAKON_SYNC_ENCRYPTION_KEY_FILE=$HOME/${path.basename(target)}`);
  });

  it('is backed by ignore files that keep any *.key out of git and out of the image build context', () => {
    for (const ignoreFile of ['.gitignore', '.dockerignore']) {
      expect({ ignoreFile, lines: readFileSync(path.join(ROOT, ignoreFile), 'utf8').split('\n').map((line) => line.trim()) }).toEqual({ ignoreFile, lines: expect.arrayContaining(['*.key']) });
    }
  });
});
