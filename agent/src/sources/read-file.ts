import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { InputError, describeCause } from '../errors.js';
import { MAX_DECODED_BYTES } from './decode.js';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function refuse(where: string, st: Stats): never {
  throw new InputError(`${where}: ${kindOf(st)}, not a regular file (a config source is a file, or a directory of *.yaml/*.yml/*.json files)`);
}

/**
 * Reads a config file the way user data is bounded: only a regular file (a device such as
 * /dev/zero would never end, a FIFO may never answer), and at most the user-data size limit.
 * The type is checked before the open, and again on the opened descriptor (opened non-blocking,
 * so a FIFO swapped in between cannot stall the open), so what is read is what was checked.
 */
export function readRegularFile(path: string, where: string): Buffer {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw new InputError(`${where}: cannot read (${describeCause(err)})`, { cause: err });
  }
  if (!st.isFile()) refuse(where, st);
  const tooLarge = (size: number): never => {
    throw new InputError(`${where}: ${size} bytes is more than the ${MAX_DECODED_BYTES}-byte limit for a config source (the same as for user data)`);
  };
  if (st.size > MAX_DECODED_BYTES) tooLarge(st.size);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InputError(`${where}: cannot read (${describeCause(err)})`, { cause: err });
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) refuse(where, opened);
    // One byte past the limit tells a file that grew since the stat from one that fits.
    const buf = Buffer.alloc(Math.min(opened.size, MAX_DECODED_BYTES) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buf.length) {
        if (length > MAX_DECODED_BYTES) tooLarge(length);
        break;
      }
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${where}: cannot read (${describeCause(err)})`, { cause: err });
  } finally {
    closeSync(fd);
  }
}
