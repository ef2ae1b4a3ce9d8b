// `tsunagi-helper` (the daemon's own command, as the issue names it) is `tsunagi helper`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('tsunagi-helper launcher', () => {
  it('is linked by the build and runs the helper command (usage errors name the option)', async () => {
    const result = await run('npx', ['tsunagi-helper', '--no-such-option']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tsunagi helper: unknown option --no-such-option');
    expect(result.stderr).toContain('--allow-uid');
  });

  it('passes every argument through to the helper command', async () => {
    const r = await run('npx', ['tsunagi-helper', '--group', 'wheel', '--socket']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((r as { stderr: string }).stderr).toContain('--socket needs a value');
  });
});
