import { accessSync, constants, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error';

/**
 * Output paths checked before any GPU work, so a run is never lost to a path it cannot write:
 * each refusal is a UsageError naming the flag and the path. Nothing is created here.
 */

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return null; // a parent is a file: found by checkCreatable below
    throw e;
  }
}

/** A directory that does not exist yet can be made: its nearest existing ancestor is a directory we may write in. */
function checkCreatable(flag: string, path: string, dir: string): void {
  let cur = resolve(dir);
  for (;;) {
    const st = statOrNull(cur);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: ${cur} is a file, not a directory`);
      try {
        accessSync(cur, constants.W_OK);
      } catch {
        throw new UsageError(`${flag} ${path}: cannot write in ${cur} (permission denied)`);
      }
      return;
    }
    const up = dirname(cur);
    if (up === cur) throw new UsageError(`${flag} ${path}: no existing directory above it`);
    cur = up;
  }
}

/** A file to write (or replace): not a directory, in a directory that exists or can be made. */
export function checkOutputFile(flag: string, path: string): void {
  if (path.trim() === '') throw new UsageError(`${flag} is empty; give a file name`);
  const st = statOrNull(path);
  if (st?.isDirectory() || /[/\\]$/.test(path))
    throw new UsageError(`${flag} ${path}: is a directory; give a file name, e.g. ${join(path, 'results.json')}`);
  if (st && !st.isFile()) throw new UsageError(`${flag} ${path}: exists and is not a regular file`);
  checkCreatable(flag, path, dirname(resolve(path)));
}

/**
 * A directory to write files into: a directory or nothing yet, writable; `files` (relative paths
 * inside it, e.g. "naive/o.npy") must not be directories, nor sit under a file.
 */
export function checkOutputDir(flag: string, path: string, files: readonly string[] = []): void {
  if (path.trim() === '') throw new UsageError(`${flag} is empty; give a directory`);
  const st = statOrNull(path);
  if (st && !st.isDirectory()) throw new UsageError(`${flag} ${path}: is a file, not a directory`);
  if (!st) {
    checkCreatable(flag, path, path);
    return;
  }
  checkCreatable(flag, path, path);
  for (const f of files) {
    const full = join(path, f);
    const parent = statOrNull(dirname(full));
    if (parent && !parent.isDirectory())
      throw new UsageError(`${flag} ${path}: ${dirname(full)} is a file, not a directory`);
    if (statOrNull(full)?.isDirectory()) throw new UsageError(`${flag} ${path}: ${full} is a directory, not a file`);
  }
}

/** The same directory, however written (relative, trailing slash, symbolic links)? */
export function sameDirectory(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}
