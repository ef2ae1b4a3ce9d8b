// The app's settings: one JSON file in userData, written atomically (temporary file + rename) so a
// crash mid-write never leaves half a file. A missing file means the defaults.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppSettings, SettingsPatch } from '../shared/ipc-schema.js';
import {
  DEFAULT_SETTINGS,
  settingsFromJson,
  settingsPatchProblem,
} from '../shared/settings-schema.js';

export const SETTINGS_FILE_NAME = 'settings.json';
export const SETTINGS_FILE_VERSION = 1;

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export class SettingsStore {
  private current: AppSettings = DEFAULT_SETTINGS;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly filePath: string,
    private readonly warn: (message: string) => void = (m) => console.warn(m),
  ) {}

  get(): AppSettings {
    return this.current;
  }

  async load(): Promise<AppSettings> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return (this.current = DEFAULT_SETTINGS);
      throw new SettingsError(`Cannot read ${this.filePath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.warn(`${this.filePath} is not valid JSON: using the default settings`);
      return (this.current = DEFAULT_SETTINGS);
    }
    const { settings, dropped } = settingsFromJson(json);
    if (dropped.length > 0) {
      this.warn(
        `${this.filePath}: ignored invalid settings (${dropped.join(', ')}); defaults used`,
      );
    }
    return (this.current = settings);
  }

  /** Validates and applies a patch, then saves; resolves once the file is written. */
  async update(patch: SettingsPatch): Promise<AppSettings> {
    const problem = settingsPatchProblem(patch);
    if (problem) throw new SettingsError(`Invalid setting: ${problem}`);
    const next: AppSettings = { ...this.current, ...patch };
    this.current = next;
    const write = this.writes.then(() => this.save(next));
    // Keep the chain alive after a failed write; the caller still sees the failure.
    this.writes = write.catch(() => {});
    await write;
    return next;
  }

  private async save(settings: AppSettings): Promise<void> {
    await mkdir(path.dirname(this.filePath), { recursive: true });
    const temp = `${this.filePath}.${process.pid}.tmp`;
    const text = `${JSON.stringify({ version: SETTINGS_FILE_VERSION, ...settings }, null, 2)}\n`;
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, this.filePath);
  }
}
