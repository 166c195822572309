import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { show } from '../api/problems.js';
import { describeCause } from '../errors.js';
import type { Imds } from './imds.js';
import { IDENTITY_PATH, parseIdentity } from './instance-identity.js';

/**
 * The IMDS answers of this boot, kept by the config phase for the run phase. The two phases are
 * two processes seconds apart in one boot, and the run phase would ask IMDS what the config phase
 * has just asked: the user data (it cannot change while the instance runs) and, when a drop-in
 * changed the config, the instance's identity, MAC, address and host name (fixed for the life of
 * the instance and its primary interface). Under /run, so a reboot (after which the instance may
 * be another type) starts without it; readable by root only, because user data may hold secrets.
 * A path the file lacks, and any file that cannot be used, is asked of IMDS as before.
 */
export const IMDS_ANSWERS_PATH = '/run/eks-node-agent/imds-answers.json';

/** path → the answer's bytes (base64), or null for a 404 */
export type ImdsAnswers = Record<string, string | null>;

interface AnswersFile {
  version: 1;
  endpoint: string;
  /** the fallback endpoint that answered (Imds.servedBy), when `endpoint` had no route */
  servedBy?: string;
  answers: ImdsAnswers;
}

/** An IMDS client that remembers every answer it gave (404s included; failures are not answers). */
export interface RecordingImds extends Imds {
  answers(): ImdsAnswers;
}

export function recordingImds(inner: Imds): RecordingImds {
  const answers: ImdsAnswers = {};
  const keep = (path: string, bytes: Buffer | undefined) => {
    answers[path] = bytes === undefined ? null : bytes.toString('base64');
  };
  return {
    endpoint: inner.endpoint,
    get servedBy() {
      return inner.servedBy;
    },
    answers: () => ({ ...answers }),
    async get(path) {
      const text = await inner.get(path);
      keep(path, Buffer.from(text, 'utf8'));
      return text;
    },
    async getOptional(path) {
      const text = await inner.getOptional(path);
      keep(path, text === undefined ? undefined : Buffer.from(text, 'utf8'));
      return text;
    },
    async getBytesOptional(path) {
      const bytes = await inner.getBytesOptional(path);
      keep(path, bytes);
      return bytes;
    },
  };
}

/**
 * Writes the answers for the run phase, readable by root only (user data may hold secrets). A
 * temporary file renamed into place, so a reader finds the old file or the new one whole; not
 * synced, unlike the configuration: it lives in /run (memory), and a file lost to a crash costs
 * the run phase only its questions to IMDS.
 */
export function keepImdsAnswers(root: string, recorder: RecordingImds): void {
  const { endpoint, servedBy } = recorder;
  const body: AnswersFile = { version: 1, endpoint, ...(servedBy ? { servedBy } : {}), answers: recorder.answers() };
  const file = join(root, IMDS_ANSWERS_PATH);
  const temp = `${file}.${process.pid}.tmp`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  try {
    writeFileSync(temp, `${JSON.stringify(body)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * The answers the config phase kept for IMDS at `endpoint`: `answers` when the file is usable,
 * `problem` when it exists but is not (the caller says so and asks IMDS), neither when there is none.
 */
export function readImdsAnswers(root: string, endpoint: string): { answers?: KeptAnswers; problem?: string } {
  let text: string;
  try {
    text = readFileSync(join(root, IMDS_ANSWERS_PATH), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { problem: describeCause(err) };
  }
  let file: Partial<AnswersFile>;
  try {
    file = JSON.parse(text) as Partial<AnswersFile>;
  } catch {
    return { problem: 'not JSON' };
  }
  const answers = file?.answers;
  const ours =
    file?.version === 1 &&
    typeof answers === 'object' &&
    answers !== null &&
    !Array.isArray(answers) &&
    Object.values(answers).every((a) => a === null || typeof a === 'string');
  if (!ours) return { problem: 'not a file written by this agent' };
  // Kept for another IMDS (a test's emulator, an endpoint override): not this one's answers.
  if (file.endpoint !== endpoint)
    return { problem: `kept for IMDS at ${typeof file.endpoint === 'string' ? file.endpoint : show(file.endpoint)}, not ${endpoint}` };
  // The identity document names the instance and its region for every call after it: one kept
  // damaged (a region that names no host, say) would misdirect them all, so the file is not used.
  const identity = answers[IDENTITY_PATH];
  if (typeof identity === 'string') {
    try {
      parseIdentity(Buffer.from(identity, 'base64').toString('utf8'));
    } catch (err) {
      return { problem: `its identity document: ${describeCause(err)}` };
    }
  }
  return { answers: { answers, ...(typeof file.servedBy === 'string' ? { servedBy: file.servedBy } : {}) } };
}

/** What readImdsAnswers gives: the answers, and the fallback endpoint that gave them, if one did. */
export interface KeptAnswers {
  answers: ImdsAnswers;
  servedBy?: string;
}

/**
 * An IMDS client that gives the kept answers and asks `live()` for everything else; it was served
 * by the fallback endpoint when the kept answers were, or when IMDS, asked since, is.
 */
export interface ReplayingImds extends Imds {
  /** how many reads the kept answers served, and how many went to IMDS */
  counts(): { kept: number; asked: number };
}

export function replayingImds({ answers, servedBy }: KeptAnswers, endpoint: string, live: () => Imds): ReplayingImds {
  let kept = 0;
  let asked = 0;
  const known = (path: string) => Object.hasOwn(answers, path);
  const bytesOf = (path: string): Buffer | undefined => {
    kept++;
    const a = answers[path];
    return a === null || a === undefined ? undefined : Buffer.from(a, 'base64');
  };
  const ask = () => {
    asked++;
    return live();
  };
  return {
    endpoint,
    get servedBy() {
      return (asked > 0 ? live().servedBy : undefined) ?? servedBy;
    },
    counts: () => ({ kept, asked }),
    async get(path) {
      // a kept 404 is not an answer get() can give: IMDS is asked, and says why
      if (known(path) && answers[path] !== null) return (bytesOf(path) as Buffer).toString('utf8');
      return ask().get(path);
    },
    async getOptional(path) {
      return known(path) ? bytesOf(path)?.toString('utf8') : ask().getOptional(path);
    },
    async getBytesOptional(path) {
      return known(path) ? bytesOf(path) : ask().getBytesOptional(path);
    },
  };
}
