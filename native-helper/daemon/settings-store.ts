/**
 * The helper's persistent settings (kill switch, lockdown, allow LAN): a small JSON file owned
 * by root, validated with the protocol's schema. Lockdown must survive restarts, so a file that
 * exists but cannot be read or validated is treated as lockdown on: fail closed, never open.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../ipc/protocol.js';

export function configDir(): string {
  return process.env.TSUNAGI_CONFIG_DIR ?? '/var/lib/tsunagi';
}

export class SettingsStore {
  constructor(private readonly dir: string = configDir()) {}

  get path(): string {
    return join(this.dir, 'settings.json');
  }

  async load(): Promise<{ settings: Settings; warning?: string }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: DEFAULT_SETTINGS };
      return this.failClosed(`cannot read ${this.path}: ${(e as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.failClosed(`${this.path} is not JSON`);
    }
    const r = v.safeParse(SettingsSchema, value);
    if (!r.success) return this.failClosed(`${this.path} is invalid: ${r.issues[0].message}`);
    return { settings: r.output };
  }

  async save(settings: Settings): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, this.path);
  }

  private failClosed(warning: string): { settings: Settings; warning: string } {
    return {
      settings: { ...DEFAULT_SETTINGS, lockdown: true },
      warning: `${warning}; blocking (lockdown) until the settings are set again`,
    };
  }
}
